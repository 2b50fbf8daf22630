//! Variable settings from outside the linted files: `--var`, `--var-file` and a config file's
//! `[terraform] vars` and `var-files`, in the order they apply. Below both their makers (the CLI,
//! `config`) and their reader (the Terraform frontend, `frontend::terraform::tfvars`).

use std::path::PathBuf;

/// `--var` and `--var-file`, flattened into every command that reads Terraform (`check`, `diff`,
/// `principals`, `usage`), so the flags and their help are written once.
#[cfg(feature = "native")]
#[derive(clap::Args, Debug, Clone, Default)]
pub struct VarArgs {
    /// Set a Terraform variable of the root modules read (repeatable); a list, map or quoted
    /// value is read as HCL: --var 'actions=["s3:GetObject"]'
    #[arg(long = "var", value_name = "NAME=VALUE", help_heading = "Terraform")]
    pub var: Vec<String>,

    /// Read Terraform variable values from FILE, .tfvars or .tfvars.json (repeatable). Applied
    /// after each folder's terraform.tfvars and *.auto.tfvars, in command-line order with --var
    #[arg(long = "var-file", value_name = "FILE", help_heading = "Terraform")]
    pub var_file: Vec<PathBuf>,

    /// `--var` and `--var-file` in command-line order, filled by [`VarArgs::resolve`].
    #[arg(skip)]
    pub settings: Vec<VarSetting>,
}

#[cfg(feature = "native")]
impl VarArgs {
    /// Fills [`VarArgs::settings`] from the command's matches, which know where each value stood
    /// on the command line ([`VarSetting::in_order`]).
    pub fn resolve(&mut self, matches: &clap::ArgMatches) {
        let positions = |id: &str| -> Vec<usize> {
            matches
                .indices_of(id)
                .map(Iterator::collect)
                .unwrap_or_default()
        };
        let at = |positions: &[usize], i: usize| positions.get(i).copied().unwrap_or(usize::MAX);
        let (file_at, var_at) = (positions("var_file"), positions("var"));
        let files: Vec<(usize, PathBuf)> = (self.var_file.iter().enumerate())
            .map(|(i, f)| (at(&file_at, i), f.clone()))
            .collect();
        let vars: Vec<(usize, String)> = (self.var.iter().enumerate())
            .map(|(i, v)| (at(&var_at, i), v.clone()))
            .collect();
        self.settings = VarSetting::in_order(&files, &vars);
    }
}

/// One variable setting from the command line or the config, applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarSetting {
    /// `--var-file FILE`: a `.tfvars` (HCL) or `.tfvars.json` file the user named on the command
    /// line, read by [`crate::root::read_named`] (outside the repository if the user says so).
    File(PathBuf),
    /// A `var-files` entry of a config file: written in the repository, so read only inside its
    /// root ([`crate::root::read_confined`]).
    ConfigFile(PathBuf),
    /// `--var NAME=VALUE`.
    Value { name: String, value: String },
}

impl VarSetting {
    /// `--var` and `--var-file` values merged in command-line order (each with its position among
    /// the arguments; the later one wins). A malformed `--var` is kept as a nameless value, for
    /// [`VarSetting::validate`] to report.
    pub fn in_order(files: &[(usize, PathBuf)], vars: &[(usize, String)]) -> Vec<VarSetting> {
        let mut ordered: Vec<(usize, VarSetting)> = Vec::new();
        for (at, file) in files {
            ordered.push((*at, VarSetting::File(file.clone())));
        }
        for (at, var) in vars {
            let setting = VarSetting::parse_assignment(var).unwrap_or_else(|_| VarSetting::Value {
                name: String::new(),
                value: var.clone(),
            });
            ordered.push((*at, setting));
        }
        ordered.sort_by_key(|(at, _)| *at);
        ordered.into_iter().map(|(_, s)| s).collect()
    }

    /// The first command-line setting that cannot be used: a malformed `--var`, or a
    /// `--var-file` that is not a file.
    pub fn validate(settings: &[VarSetting]) -> Result<(), String> {
        for setting in settings {
            match setting {
                VarSetting::Value { name, value } if name.is_empty() => {
                    return Err(VarSetting::parse_assignment(value)
                        .err()
                        .unwrap_or_default());
                }
                VarSetting::File(path) if !path.is_file() => {
                    return Err(format!(
                        "cannot read variables file `{}`: not found",
                        path.display()
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads `NAME=VALUE` as `--var` takes it.
    pub fn parse_assignment(s: &str) -> Result<VarSetting, String> {
        match s.split_once('=') {
            Some((name, value)) if is_identifier(name.trim()) => Ok(VarSetting::Value {
                name: name.trim().to_string(),
                value: value.to_string(),
            }),
            _ => Err(format!(
                "expected `NAME=VALUE` for `--var`, found `{s}` (NAME is a variable name)"
            )),
        }
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
