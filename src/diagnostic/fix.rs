//! What a finding says should change, in model terms (set a value, add a parameter at a slot,
//! add a group, rename a key), and the edits it becomes once a file's text is read. The types
//! live here, beside the finding that carries them; `fix` turns requests into edits.

use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applicability {
    /// Sets the engine's own TLS switch where the template already decides it.
    Safe,
    /// Changes which group governs a database (a reboot; clients without TLS are refused).
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    pub description: String,
    pub edits: Vec<Edit>,
}

/// Where a parameter can be added to a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// CloudFormation: the group's `Parameters` map.
    Map(Span),
    /// CloudFormation: the `Properties` map of a group without `Parameters`.
    Properties(Span),
    /// Terraform: the group's resource block.
    Block(Span),
    /// Nowhere we can write (plan JSON, `.tf.json`, computed parameters).
    None,
}

/// What a fix should do, before it is turned into text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FixRequest {
    /// Replace the literal at `span` by the enabling value.
    SetValue {
        span: Span,
        parameter: String,
        enabling: String,
    },
    /// Add `parameter = enabling` to a group.
    AddParameter {
        slot: Slot,
        parameter: String,
        enabling: String,
    },
    /// Unsafe: create a parameter group of `family` that sets the parameter, and name it on
    /// the database (which then leaves the default group: a reboot, plaintext clients refused).
    AddGroup(NewGroup),
    /// Unsafe: turn a TLS-looking parameter RDS ignores into the engine's own, enabled.
    RenameParameter {
        key: Span,
        value: Option<Span>,
        parameter: String,
        enabling: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NewGroup {
    /// Where the database's group property goes.
    pub database: Slot,
    /// The database's whole declaration (the new group goes after it) and its first line.
    pub resource: Span,
    pub header: Span,
    /// The `Type` line (CloudFormation), for the file's indentation step.
    pub type_span: Span,
    /// The new group's logical ID or Terraform name.
    pub name: String,
    pub cluster: bool,
    pub family: String,
    /// The database property that names the group (`DBParameterGroupName`, …).
    pub property: String,
    pub parameter: String,
    pub enabling: String,
}

impl FixRequest {
    /// A span inside the file the fix edits.
    pub fn anchor(&self) -> Option<Span> {
        match self {
            FixRequest::SetValue { span, .. } | FixRequest::RenameParameter { key: span, .. } => {
                Some(*span)
            }
            FixRequest::AddParameter { slot, .. } => slot.span(),
            FixRequest::AddGroup(group) => Some(group.resource),
        }
    }
}

impl Slot {
    pub fn span(self) -> Option<Span> {
        match self {
            Slot::Map(s) | Slot::Properties(s) | Slot::Block(s) => Some(s),
            Slot::None => None,
        }
    }
}
