"""Validates a SARIF log against the official SARIF 2.1.0 schema (tests/data/, a copy of
shared/data/sarif-schema-2.1.0.json) with the `jsonschema` package; exits 1 on any violation."""
import json
import sys

import jsonschema

schema_path, log_path = sys.argv[1], sys.argv[2]
with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)
with open(log_path, encoding="utf-8") as f:
    log = json.load(f)
validator_class = jsonschema.validators.validator_for(schema)
validator_class.check_schema(schema)
validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
for error in errors:
    where = "/".join(str(p) for p in error.absolute_path)
    print(f"{where}: {error.message}")
results = len(log["runs"][0]["results"])
print(f"{validator_class.__name__}: {results} results, {len(errors)} schema violations")
sys.exit(1 if errors else 0)
