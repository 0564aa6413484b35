"""A small, hand-checkable extract directory (docs/data-files.md), written per test.

Three CalWORKs cases with four children; three CWS children, two of them the same children as
CalWORKs children; four allegations on three referrals; two CWS cases (one still open); two
placement episodes with three placements.
"""

from __future__ import annotations

from pathlib import Path

FILES: dict[str, list[str]] = {
    "calworks_cases.csv": [
        "case_id,county_cd,case_head_first_name,case_head_last_name,case_head_dob,case_head_sex,"
        "address,zip,aid_status,wtw_status",
        "C100,19,MARIA,GARCIA,1990-04-02,F,12 MAIN ST,90011,active,participating",
        "C200,10,ROSA,LOPEZ,1985-07-15,F,44 ELM AVE,93701,discontinued,",
        "C300,37,ANGELA,SMITH,1992-01-20,F,9 OAK ST,92101,Active,exempt",
    ],
    "calworks_children.csv": [
        "record_id,first_name,middle_name,last_name,dob,sex,ssn,county_cd,zip,address,"
        "parent_first_name,parent_last_name,case_id",
        "L1,JOSE,LUIS,GARCIA,2015-03-01,M,123-45-6781,19,90011,12 MAIN ST,MARIA,GARCIA,C100",
        "L2,ANA,,GARCIA,2017-05-09,F,,19,90011,12 MAIN ST,MARIA,GARCIA,C100",
        "L3,LUIS,,LOPEZ,2012-11-30,m,987654322,10,93701,44 ELM AVE,ROSA,LOPEZ,C200",
        "L4,EMMA,,SMITH,2019-02-14,F,,37,92101,9 OAK ST,ANGELA,SMITH,C300",
    ],
    "calworks_aid_periods.csv": [
        "case_id,aid_start,aid_end",
        "C100,2019-01-01,",
        "C200,2016-03-01,2020-06-30",
        "C300,2021-01-01,",
    ],
    "cws_children.csv": [
        "record_id,first_name,middle_name,last_name,dob,sex,ssn,county_cd,zip,address,"
        "parent_first_name,parent_last_name,case_id,ethnicity_cd,hispanic",
        "R1,JOSE,,GARCIA,2015-03-01,M,,19,90011,12 MAIN ST,MARIA,GARCIA,K1,830,Y",
        "R2,LUIS,,LOPEZ,2012-11-30,M,987-65-4322,10,93701,44 ELM AVE,ROSA,LOPEZ,,839,N",
        "R3,TYLER,,JONES,2010-06-06,M,,1,94601,1 PINE ST,KIM,JONES,K3,823,N",
    ],
    "cws_allegations.csv": [
        "allegation_id,referral_id,child_id,referral_received_dt,county_cd,allegation_type,"
        "disposition,disposition_dt,incident_dt,perpetrator_role,reporter_type",
        "A1,RF1,R1,2020-02-03,19,general_neglect,substantiated,2020-03-01,,parent,law_enforcement",
        "A2,RF1,R1,2020-02-03,19,physical_abuse,unfounded,2020-03-01,,parent,law_enforcement",
        "A3,RF2,R2,2019-05-05,10,general_neglect,Inconclusive,,,,education",
        "A4,RF3,R3,2019-08-08,1,sexual_abuse,,,2019-08-01,,medical",
    ],
    "cws_case_components.csv": [
        "case_id,child_id,county_cd,service_component,component_start,component_end",
        "K1,R1,19,ER,2020-02-03,2020-03-01",
        "K1,R1,19,FR,2020-03-01,",
        "K3,R3,1,ER,2019-08-08,2019-09-01",
        "K3,R3,1,FM,2019-09-01,2020-03-01",
    ],
    "foster_care.csv": [
        "child_id,birth_dt,sex,ethnicity_cd,hispanic,episode_id,episode_start,episode_end,"
        "termination_reason_cd,agency_cd,county_cd,placement_start,placement_end,"
        "facility_type_cd,caregiver_relationship_cd,placement_change_reason_cd",
        "R1,2015-03-01,M,830,Y,E1,2020-03-01,2021-02-01,5439,34,19,2020-03-01,2020-06-01,"
        "1421,1638,",
        "R1,2015-03-01,M,830,Y,E1,2020-03-01,2021-02-01,5439,34,19,2020-06-01,2021-02-01,"
        "6914,1638,1440",
        "R3,2010-06-06,M,823,N,E3,2019-09-15,,,34,1,2019-09-15,,1416,,",
    ],
}

# file -> (tables, rows each) of a clean load of FILES
CLEAN_COUNTS: dict[str, dict[str, int]] = {
    "calworks_cases.csv": {"calworks_case": 3, "calworks_person (case heads)": 3},
    "calworks_children.csv": {"calworks_person (children)": 4},
    "calworks_aid_periods.csv": {"calworks_aid_period": 3},
    "cws_children.csv": {"cws_child_client": 3},
    "cws_allegations.csv": {"cws_referral": 3, "cws_allegation": 4},
    "cws_case_components.csv": {"cws_case": 2, "cws_case_service_component": 4},
    "foster_care.csv": {"cws_placement_episode": 2, "cws_placement": 3},
}


def write_extract(
    directory: Path,
    *,
    replace: dict[str, list[str]] | None = None,
    drop: tuple[str, ...] = (),
    bom: bool = False,
) -> Path:
    """Write FILES (with whole files replaced or dropped) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {**FILES, **(replace or {})}
    for name, lines in files.items():
        if name in drop:
            continue
        text = "\n".join(lines) + "\n"
        (directory / name).write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return directory


def edit(name: str, line: int, old: str, new: str) -> dict[str, list[str]]:
    """FILES[name] with ``old`` replaced by ``new`` on source line ``line`` (header = 1)."""
    lines = list(FILES[name])
    assert old in lines[line - 1], (old, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return {name: lines}
