//! Candidate values: what a property may be, under which branch assumptions, and where it is
//! written. A value the files do not resolve is `Unknown`, never a guess.

use crate::source::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val<T> {
    Known(T),
    /// The property is not set (or is `AWS::NoValue` / `null` in this branch).
    Absent,
    /// The files do not resolve it; the text says what could not be resolved.
    Unknown(String),
}

/// One candidate: its value, the span where it is written, and the branch it holds under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice<T> {
    pub value: Val<T>,
    pub span: Span,
    pub branch: Branch,
    /// The reference the value came through, when it is written elsewhere (`!Ref Param`
    /// whose `Default` holds the value; a module input).
    pub via: Option<Span>,
}

pub type Choices<T> = Vec<Choice<T>>;

impl<T> Choice<T> {
    pub fn new(value: Val<T>, span: Span) -> Choice<T> {
        Choice {
            value,
            span,
            branch: Branch::default(),
            via: None,
        }
    }

    /// The same candidate (span, branch, reference) with its value converted.
    pub fn map<U>(self, f: impl FnOnce(Val<T>) -> Val<U>) -> Choice<U> {
        Choice {
            value: f(self.value),
            span: self.span,
            branch: self.branch,
            via: self.via,
        }
    }

    pub fn known(&self) -> Option<&T> {
        match &self.value {
            Val::Known(value) => Some(value),
            _ => None,
        }
    }
}

/// Branch assumptions, such as "condition `IsProd` is true", "`var.env == \"prod\"` is false"
/// or "`each.key` is \"billing\"". Each names a choice and the value taken; candidates combine
/// only when they agree on every choice both make.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Branch(pub Vec<(String, String)>);

impl Branch {
    /// Assumes a condition holds (or not); `None` when this branch assumes the opposite (the
    /// inner `!If [C, …]` on the false side of `C` is never taken).
    pub fn with(&self, condition: &str, holds: bool) -> Option<Branch> {
        self.with_value(condition, &holds.to_string())
    }

    /// Assumes a choice takes one value (`each.key` is `"billing"`); `None` when this branch
    /// gives it another.
    pub fn with_value(&self, choice: &str, value: &str) -> Option<Branch> {
        match self.0.iter().find(|(c, _)| c == choice) {
            Some((_, assumed)) => (assumed == value).then(|| self.clone()),
            None => {
                let mut assumptions = self.0.clone();
                assumptions.push((choice.to_string(), value.to_string()));
                Some(Branch(assumptions))
            }
        }
    }

    /// Both sets of assumptions together, or `None` when they contradict.
    pub fn join(&self, other: &Branch) -> Option<Branch> {
        let mut joined = self.0.clone();
        for (choice, value) in &other.0 {
            match joined.iter().find(|(c, _)| c == choice) {
                Some((_, v)) if v != value => return None,
                Some(_) => {}
                None => joined.push((choice.clone(), value.clone())),
            }
        }
        Some(Branch(joined))
    }

    /// These assumptions without the ones `implied` makes.
    pub fn without(&self, implied: &Branch) -> Branch {
        if implied.is_empty() {
            return self.clone();
        }
        Branch(
            self.0
                .iter()
                .filter(|assumption| !implied.0.contains(assumption))
                .cloned()
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// "when `IsProd` is false and `each.key` is \"billing\""
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(choice, value)| format!("`{choice}` is {value}"))
            .collect();
        format!("when {}", parts.join(" and "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_choice_takes_one_value() {
        let orders = Branch::default()
            .with_value("each.key", "\"orders\"")
            .unwrap();
        let billing = Branch::default()
            .with_value("each.key", "\"billing\"")
            .unwrap();
        assert_eq!(orders.with_value("each.key", "\"billing\""), None);
        assert_eq!(orders.join(&billing), None);
        assert_eq!(billing.describe(), "when `each.key` is \"billing\"");
    }

    #[test]
    fn contradicting_branches_do_not_join() {
        let prod = Branch::default().with("IsProd", true).unwrap();
        let dev = Branch::default().with("IsProd", false).unwrap();
        let replica = Branch::default().with("Replica", true).unwrap();
        assert_eq!(prod.join(&dev), None);
        let both = prod.join(&replica).unwrap();
        assert_eq!(
            both.describe(),
            "when `IsProd` is true and `Replica` is true"
        );
    }
}
