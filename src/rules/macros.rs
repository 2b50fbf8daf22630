/// Declares a rule type, its metadata and its documentation (the doc comment).
///
/// ```ignore
/// declare_rule! {
///     /// Flags Allow statements that grant every action of a service.
///     pub WildcardAction {
///         id: "wildcard-action",
///         category: LeastPrivilege,
///         severity: Warning,
///         fix: None,
///     }
/// }
/// ```
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub $name:ident {
            id: $id:literal,
            category: $category:ident,
            severity: $severity:ident,
            fix: $fix:ident $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $name;

        impl $name {
            pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                id: $id,
                name: stringify!($name),
                category: $crate::rules::Category::$category,
                severity: $crate::finding::Severity::$severity,
                fix: $crate::rules::FixAvailability::$fix,
                raw_doc: concat!($($doc, "\n"),*),
                file: file!(),
            };

            /// Starts a finding of this rule at `span`, with its default severity.
            pub fn finding(
                span: $crate::source::Span,
                message: impl Into<String>,
            ) -> $crate::finding::FindingBuilder {
                $crate::finding::FindingBuilder::new(
                    $crate::rules::RuleId::$name,
                    $crate::finding::Severity::$severity,
                    span,
                    message.into(),
                )
            }
        }
    };
}

/// Registers every rule of the list in `crate::rule_id::with_rules!`: each `RuleId`'s metadata
/// and check.
macro_rules! register_rules {
    ($($category:ident :: $file:ident :: $name:ident),* $(,)?) => {
        impl RuleId {
            pub fn meta(self) -> &'static RuleMeta {
                match self {
                    $(RuleId::$name => &$category::$file::$name::META),*
                }
            }

            pub fn rule(self) -> &'static dyn Rule {
                match self {
                    $(RuleId::$name => &$category::$file::$name),*
                }
            }
        }
    };
}
