//! Version constraints as Terraform writes them (`~> 6.0`, `>= 5.0, < 7.0`, `6.1.0`, `!= 6.2`):
//! which of the versions a model table lists a constraint allows. Terraform installs the newest
//! allowed version, so the newest allowed one picks the table.

/// A version as `[major, minor, patch]`; missing parts are 0, a pre-release suffix is dropped.
pub fn parse(text: &str) -> Option<[u32; 3]> {
    let text = text.trim().trim_start_matches('v');
    let core = text.split(['-', '+']).next()?;
    let mut parts = [0u32; 3];
    let mut count = 0;
    for (i, part) in core.split('.').enumerate() {
        if i >= 3 {
            return None;
        }
        parts[i] = part.parse().ok()?;
        count += 1;
    }
    (count > 0).then_some(parts)
}

/// Whether `version` satisfies every clause of `constraint`; `None` when a clause does not
/// parse (the constraint is then not one the model can place).
pub fn allows(constraint: &str, version: [u32; 3]) -> Option<bool> {
    let mut all = true;
    for clause in constraint.split(',') {
        let clause = clause.trim();
        if clause.is_empty() {
            continue;
        }
        let (op, rest) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| clause.strip_prefix(op).map(|rest| (*op, rest)))
            .unwrap_or(("=", clause));
        let written = rest.trim().trim_start_matches('v');
        let bound = parse(written)?;
        let segments = written.split(['-', '+']).next()?.split('.').count();
        let holds = match op {
            "=" => version == bound,
            "!=" => version != bound,
            ">" => version > bound,
            ">=" => version >= bound,
            "<" => version < bound,
            "<=" => version <= bound,
            // `~> 6.1.0`: >= 6.1.0, < 6.2.0; `~> 6.1` and `~> 6`: >= 6.1, < 7.0.
            _ => {
                let upper = match segments {
                    3 => [bound[0], bound[1] + 1, 0],
                    _ => [bound[0] + 1, 0, 0],
                };
                version >= bound && version < upper
            }
        };
        all &= holds;
    }
    Some(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_as_terraform_reads_them() {
        let v = |t: &str| parse(t).unwrap();
        assert_eq!(allows("~> 6.0", v("6.13.1")), Some(true));
        assert_eq!(allows("~> 6.0", v("7.0.0")), Some(false));
        assert_eq!(allows("~> 6.1.0", v("6.1.9")), Some(true));
        assert_eq!(allows("~> 6.1.0", v("6.2.0")), Some(false));
        assert_eq!(allows(">= 5.0, < 7.0", v("6.5.0")), Some(true));
        assert_eq!(allows(">= 5.0, < 7.0", v("7.0.0")), Some(false));
        assert_eq!(allows("6.1.0", v("6.1.0")), Some(true));
        assert_eq!(allows("= 6.1.0", v("6.1.1")), Some(false));
        assert_eq!(allows("!= 6.2.0", v("6.2.0")), Some(false));
        assert_eq!(allows("~> 9", v("9.16.1")), Some(true));
        assert_eq!(allows("~> 9", v("10.0.0")), Some(false));
        assert_eq!(allows("latest", v("1.0.0")), None);
        assert_eq!(parse("v6.1.0-beta1"), Some([6, 1, 0]));
    }
}
