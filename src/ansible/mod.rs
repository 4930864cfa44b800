//! ansible: reading an Ansible repository the way Ansible does (issue 3, in progress).
//!
//! - [`yaml11`]: the YAML 1.1 scalar resolution PyYAML applies;
//! - [`yaml`]: YAML files as nodes with byte spans (merge keys, `!vault`, `!unsafe`);
//! - [`inventory`]: hosts, groups, `group_vars`/`host_vars`, host patterns.

pub mod inventory;
pub mod yaml;
pub mod yaml11;

use std::sync::Arc;

/// One host's (or one layer's) variables: name → the YAML node that defines the value.
///
/// The node's span is the definition users edit (a group_vars or inventory line). Layers are
/// combined by replacing whole top-level names (Ansible's default `hash_behaviour = replace`).
pub type Vars = indexmap::IndexMap<String, Arc<yaml::Node>>;
