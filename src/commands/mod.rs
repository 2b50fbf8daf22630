//! Subcommands beyond linting, as library functions that return their output: `suggest` (a
//! recipe as a policy), `managed` (what an AWS managed policy grants) and `expand` (what an
//! action pattern matches).

pub mod expand;
pub mod managed;
#[cfg(feature = "native")]
pub mod principals;
pub mod suggest;
