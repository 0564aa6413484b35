from __future__ import annotations

from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from linkages.exports.bundle import BUNDLE_FILES
from linkages.services import exports
from webapp.db import get_db
from webapp.exports import bp
from webapp.exports.forms import ExportForm
from webapp.security import client_ip, current_actor

MIMETYPES = {".csv": "text/csv", ".json": "application/json",
             ".parquet": "application/vnd.apache.parquet"}


def _form() -> ExportForm:
    return ExportForm(counties=exports.county_choices(current_actor()))


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> Response | str:
    db = get_db()
    form = _form()
    if form.validate_on_submit():
        try:
            row = exports.create_export(
                db, current_actor(), counties=list(form.counties.data or []) or None,
                start=form.start.data, end=form.end.data,
                link_days=current_app.config["EXPORT_LINK_DAYS"], ip=client_ip())
        except exports.ExportError as exc:
            field = exc.field if exc.field in ("counties", "start", "end") else "start"
            form[field].errors.append(exc.message)  # type: ignore[union-attr]
        else:
            flash(f"Export {row.id} is ready: {row.row_count:,} children.", "info")
            return redirect(url_for("exports.detail", export_id=row.id))
    return render_template("exports/index.html", form=form,
                           exports=exports.list_exports(db, current_actor(), ip=client_ip()),
                           link_days=current_app.config["EXPORT_LINK_DAYS"])


@bp.get("/<int:export_id>")
@login_required
def detail(export_id: int) -> str:
    export = exports.get_export(get_db(), current_actor(), export_id)
    return render_template("exports/detail.html", export=export)


@bp.get(f"/<int:export_id>/files/<any({','.join(BUNDLE_FILES)}):name>")
@login_required
def download(export_id: int, name: str) -> Response | tuple[str, int]:
    try:
        path = exports.download(get_db(), current_actor(), export_id, name, ip=client_ip())
    except exports.Expired:
        return render_template("exports/expired.html", export_id=export_id), 410
    return send_file(path, as_attachment=True, max_age=0,
                     download_name=f"linkages-export-{export_id}-{name}",
                     mimetype=MIMETYPES.get(path.suffix, "application/octet-stream"))
