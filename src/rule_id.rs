//! `RuleId`: the name of a rule that findings, suppressions, baselines and config entries carry.
//! It sits below them all; its variants come from the one list of rules in `with_rules!`, from
//! which `rules` also registers each rule's metadata and check (`register_rules!`), so the two
//! cannot drift. The methods that need a rule's metadata (`id`, `meta`, `parse`, ...) are defined
//! in `rules`.

/// Calls macro `$then` with every rule as `category::file::Type`: the one list of rules. Adding a
/// rule is one line here.
macro_rules! with_rules {
    ($then:ident) => {
        $then! {
            least_privilege::allow_not_action::AllowNotAction,
            trust::allow_not_principal::AllowNotPrincipal,
            least_privilege::allow_not_resource::AllowNotResource,
            validity::arn_resource_mismatch::ArnResourceMismatch,
            managed::broad_managed_policy::BroadManagedPolicy,
            validity::bucket_policy_lockout::BucketPolicyLockout,
            validity::condition_type_mismatch::ConditionTypeMismatch,
            escalation::credential_exposure::CredentialExposure,
            trust::cross_account_trust::CrossAccountTrust,
            validity::deny_never_applies::DenyNeverApplies,
            validity::deprecated_service::DeprecatedService,
            validity::duplicate_sid::DuplicateSid,
            validity::inapplicable_condition_key::InapplicableConditionKey,
            validity::invalid_arn::InvalidArn,
            validity::invalid_policy::InvalidPolicy,
            meta::invalid_suppression::InvalidSuppression,
            least_privilege::mfa_condition_bypassable::MfaConditionBypassable,
            validity::missing_version::MissingVersion,
            trust::oidc_trust_unrestricted::OidcTrustUnrestricted,
            escalation::pass_role_any::PassRoleAny,
            validity::policy_too_large::PolicyTooLarge,
            escalation::privilege_escalation::PrivilegeEscalation,
            trust::public_principal::PublicPrincipal,
            validity::redundant_action::RedundantAction,
            escalation::resource_policy_write::ResourcePolicyWrite,
            least_privilege::resource_star::ResourceStar,
            validity::unknown_action::UnknownAction,
            validity::unknown_condition_key::UnknownConditionKey,
            managed::unknown_managed_policy::UnknownManagedPolicy,
            validity::unknown_service::UnknownService,
            meta::unresolved_reference::UnresolvedReference,
            meta::unused_suppression::UnusedSuppression,
            least_privilege::wildcard_action::WildcardAction,
            validity::wildcard_matches_nothing::WildcardMatchesNothing,

        }
    };
}
pub(crate) use with_rules;

macro_rules! rule_ids {
    ($($category:ident :: $file:ident :: $name:ident),* $(,)?) => {
        /// Every rule, by type name. The kebab-case id is in its metadata ([`RuleId::id`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RuleId {
            $($name),*
        }

        impl RuleId {
            pub const ALL: &'static [RuleId] = &[$(RuleId::$name),*];
        }
    };
}

with_rules!(rule_ids);
