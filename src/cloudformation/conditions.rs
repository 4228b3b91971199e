//! Conditions (`Conditions`, `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`): which side of an
//! `Fn::If` holds under which branch. A condition the template decides (over a parameter's
//! `AllowedValues`, a value a parent stack passes, literals) takes the side each candidate
//! gives, so `!If [IsMySQL, …]` follows the engine chosen; one resting on a parameter `Default`
//! (which a deployment may override) or on something unknown keeps both sides, named by the
//! condition.

use super::resolve::{Resolver, Term};
use crate::model::{Branch, Val};
use crate::tree::Node;

/// How deep conditions referring to conditions are followed.
const MAX_DEPTH: usize = 32;

impl Resolver<'_> {
    /// The sides of `Fn::If [condition, …]` that can be taken: `true` for the first, each with
    /// the branch it holds under.
    pub fn branches(&self, condition: &str, branch: &Branch, depth: usize) -> Vec<(bool, Branch)> {
        let decided = self
            .conditions
            .and_then(|c| c.get(condition))
            .filter(|node| !self.overridable(node, depth))
            .map(|node| self.truth(node, branch, depth));
        let mut out = Vec::new();
        for (value, assumed) in decided.unwrap_or_else(|| vec![(None, branch.clone())]) {
            match value {
                Some(holds) => out.push((holds, assumed)),
                None => {
                    for holds in [true, false] {
                        if let Some(with) = assumed.with(&self.named(condition), holds) {
                            out.push((holds, with));
                        }
                    }
                }
            }
        }
        out
    }

    /// A condition's value under each branch (`None`: not known).
    fn truth(&self, node: &Node, branch: &Branch, depth: usize) -> Vec<(Option<bool>, Branch)> {
        let unknown = || vec![(None, branch.clone())];
        if depth > MAX_DEPTH {
            return unknown();
        }
        if let Some(text) = node.str() {
            return match text.trim().to_ascii_lowercase().as_str() {
                "true" => vec![(Some(true), branch.clone())],
                "false" => vec![(Some(false), branch.clone())],
                _ => unknown(),
            };
        }
        let Some((name, argument)) = node.intrinsic() else {
            return unknown();
        };
        let args = argument.seq().unwrap_or(&[]);
        match (name, args) {
            ("Condition", _) => match argument.str().and_then(|c| self.conditions?.get(c)) {
                Some(inner) => self.truth(inner, branch, depth + 1),
                None => unknown(),
            },
            ("Fn::Equals", [a, b]) => {
                let mut out = Vec::new();
                for x in self.eval(a, branch, depth + 1) {
                    for y in self.eval(b, &x.branch, depth + 1) {
                        let value = match (&x.value, &y.value) {
                            (Val::Known(Term::Literal(x)), Val::Known(Term::Literal(y))) => {
                                Some(x == y)
                            }
                            _ => None,
                        };
                        out.push((value, y.branch));
                    }
                }
                out
            }
            ("Fn::Not", [inner]) => self
                .truth(inner, branch, depth + 1)
                .into_iter()
                .map(|(v, b)| (v.map(|v| !v), b))
                .collect(),
            ("Fn::And" | "Fn::Or", items) if !items.is_empty() => {
                let and = name == "Fn::And";
                let mut partial = vec![(Some(and), branch.clone())];
                for item in items {
                    let mut next = Vec::new();
                    for (value, assumed) in &partial {
                        // Already decided (false for And, true for Or): the rest cannot change it.
                        if *value == Some(!and) {
                            next.push((*value, assumed.clone()));
                            continue;
                        }
                        for (v, b) in self.truth(item, assumed, depth + 1) {
                            let combined = match (value, v) {
                                (_, Some(v)) if v != and => Some(v),
                                (Some(_), Some(v)) => Some(v),
                                _ => None,
                            };
                            next.push((combined, b));
                        }
                    }
                    partial = next;
                }
                partial
            }
            _ => unknown(),
        }
    }

    /// Whether a condition rests on a parameter's `Default`, which a deployment may override,
    /// so both sides stay possible.
    pub(super) fn overridable(&self, node: &Node, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return true;
        }
        let mut stack = vec![node];
        while let Some(node) = stack.pop() {
            if let Some((name, argument)) = node.intrinsic() {
                match (name, argument.str()) {
                    ("Ref", Some(target)) => {
                        let defaulted = self
                            .parameters
                            .and_then(|p| p.get(target))
                            .is_some_and(|p| p.get("Default").is_some());
                        let overridable = match self.passed.contains_key(target) {
                            true => self.overridable_passed.contains(target),
                            false => defaulted,
                        };
                        if overridable {
                            return true;
                        }
                    }
                    ("Condition", Some(other)) => {
                        if let Some(inner) = self.conditions.and_then(|c| c.get(other)) {
                            if self.overridable(inner, depth + 1) {
                                return true;
                            }
                        }
                    }
                    _ => {}
                }
            }
            match &node.value {
                crate::tree::NodeValue::Seq(items) => stack.extend(items),
                crate::tree::NodeValue::Map(entries) => {
                    stack.extend(entries.iter().map(|e| &e.value))
                }
                crate::tree::NodeValue::Scalar(_) => {}
            }
        }
        false
    }
}
