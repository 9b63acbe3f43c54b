#!/usr/bin/python3
"""
An outside platform's check of the gateway's Kafka contract, independent of the gateway's own code:
Debian's python3-jsonschema validates every event value against the published schemas (schemas/*.json,
draft 2020-12), with every format asserted as common.schema.json describes it, written here from those
descriptions (GB 32100 mod-31, GB 11643 mod-11 and a real birth date, the masked layouts, GB 11714,
RFC 3339, RFC 4122).

    python3 validate-events.py <schemas dir> <events.jsonl>

Each input line: {"topic": ..., "masked": true|false, "value": <event value>}. For a topic whose
destination masks identity numbers, a full valid identity number anywhere in the value is a failure.
Prints one JSON object: {"checked": N, "failures": [{"line", "topic", "path", "message"}, ...]}.
"""
import datetime
import json
import pathlib
import re
import sys

import jsonschema

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def is_uscc(s):
    if not re.fullmatch(r"[0-9A-HJ-NP-RTUWXY]{18}", s):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(s[:17], USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31] == s[17]


def is_org_code(s):
    if not re.fullmatch(r"[0-9A-Z]{8}[0-9X]", s):
        return False
    total = sum(int(c, 36) * w for c, w in zip(s[:8], ORG_WEIGHTS))
    check = 11 - total % 11
    return s[8] == ("0" if check == 11 else "X" if check == 10 else str(check))


def is_full_personal_id(s):
    if not re.fullmatch(r"[0-9]{17}[0-9X]", s):
        return False
    try:
        born = datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > datetime.date.today():
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], ID_WEIGHTS))
    return "10X98765432"[total % 11] == s[17]


def is_masked_personal_id(s):
    # 18 characters with one run of "*", digits elsewhere, X only last; or 11 digits + **** + 4
    if len(s) == 18 and re.fullmatch(r"[0-9]*\*+(?:[0-9]*[0-9X])?", s):
        return True
    return bool(re.fullmatch(r"[0-9]{11}\*{4}[0-9]{3}[0-9X]", s))


def is_date(s):
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s):
        return False
    try:
        datetime.date.fromisoformat(s)
        return True
    except ValueError:
        return False


def is_date_time(s):
    m = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})", s)
    return bool(m) and is_date(m.group(1)) and int(m.group(2)) < 24 and int(m.group(3)) < 60 and int(m.group(4)) < 61


def is_uuid(s):
    return bool(re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", s))


def is_uri(s):
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]*", s))


FORMATS = {
    "uscc": is_uscc,
    "org-code": is_org_code,
    "personal-id": is_full_personal_id,
    "personal-id-masked": is_masked_personal_id,
    "gb2260": lambda s: bool(re.fullmatch(r"[0-9]{6}", s)) and s != "000000",
    "date": is_date,
    "date-time": is_date_time,
    "uuid": is_uuid,
    "uri": is_uri,
}


def format_checker():
    checker = jsonschema.FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(lambda value, check=check: not isinstance(value, str) or check(value))
    return checker


def full_ids_in(value, path="$"):
    """Every string in the value holding a full valid identity number."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from full_ids_in(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from full_ids_in(v, f"{path}[{i}]")
    elif isinstance(value, str):
        for m in re.finditer(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9X])", value):
            if is_full_personal_id(m.group(0)):
                yield path


def absolute_refs(node, base):
    """A `$ref` to `#/...` made absolute against its schema's `$id`, as the spec resolves it: the
    schemas' ids are URNs, which Python's urljoin does not join relative references against."""
    if isinstance(node, dict):
        return {k: (base + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else absolute_refs(v, base)) for k, v in node.items()}
    if isinstance(node, list):
        return [absolute_refs(v, base) for v in node]
    return node


def main(schemas_dir, events_file):
    store = {}
    for f in sorted(pathlib.Path(schemas_dir).rglob("*.schema.json")):
        schema = json.loads(f.read_text(encoding="utf-8"))
        store[schema["$id"]] = absolute_refs(schema, schema["$id"])
    event_schema = store["urn:credit-gateway:schema:record-event"]
    jsonschema.Draft202012Validator.check_schema(event_schema)
    resolver = jsonschema.RefResolver.from_schema(event_schema, store=store)
    validator = jsonschema.Draft202012Validator(event_schema, resolver=resolver, format_checker=format_checker())
    failures = []
    checked = 0
    for n, line in enumerate(pathlib.Path(events_file).read_text(encoding="utf-8").splitlines(), start=1):
        event = json.loads(line)
        checked += 1
        for error in validator.iter_errors(event["value"]):
            failures.append({"line": n, "topic": event["topic"], "path": error.json_path, "message": error.message})
        if event.get("masked"):
            for path in full_ids_in(event["value"]):
                failures.append({"line": n, "topic": event["topic"], "path": path, "message": "a full identity number on a masking destination"})
    print(json.dumps({"checked": checked, "failures": failures}, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
