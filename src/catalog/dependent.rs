//! The dependent actions of the Service Authorization Reference: further actions AWS may check for
//! one call (`ec2:RunInstances` needs `iam:PassRole` to pass an instance profile). Read from the
//! optional fifth column of `rules/catalog/catalog.jsonl` (`cargo xtask gen-data`).

use super::Catalog;

impl Catalog {
    /// The dependent actions of `action` (`prefix:Action`, case-insensitive), as the catalog
    /// names them; empty for an unknown action or one without any.
    pub fn dependent_actions(&self, action: &str) -> &'static [&'static str] {
        self.action(action)
            .map_or(&[], |a| a.action.dependent_actions.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependent_actions_come_from_the_catalog() {
        let c = Catalog::get();
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
        // (RunInstances: dependent actions ec2:CreateTags, iam:PassRole, ssm:GetParameters)
        let run = c.dependent_actions("EC2:runinstances");
        assert!(run.contains(&"iam:PassRole"), "{run:?}");
        assert!(run.contains(&"ec2:CreateTags"), "{run:?}");
        assert!(c.dependent_actions("s3:GetObject").is_empty());
        assert!(c.dependent_actions("nosuch:Action").is_empty());
        // Every dependent action is itself an action of the catalog.
        for service in c.services() {
            for a in &service.actions {
                for d in &a.dependent_actions {
                    assert!(
                        c.action(d).is_some(),
                        "{}:{} -> {d}",
                        service.prefix,
                        a.name
                    );
                }
            }
        }
    }
}
