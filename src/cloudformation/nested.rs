//! Nested stacks (rule.md §6, §7): `AWS::CloudFormation::Stack` with a relative local
//! `TemplateURL`, and SAM's `AWS::Serverless::Application` with a local `Location`.

/// A resource type that nests another template.
pub fn is_stack_type(type_name: &str) -> bool {
    matches!(
        type_name,
        "AWS::CloudFormation::Stack" | "AWS::Serverless::Application"
    )
}
