//! ansible: reading an Ansible repository the way Ansible does (issue 3, in progress).
//!
//! - [`yaml11`]: the YAML 1.1 scalar resolution PyYAML applies;
//! - [`yaml`]: YAML files as nodes with byte spans (merge keys, `!vault`, `!unsafe`);
//! - [`inventory`]: hosts, groups, `group_vars`/`host_vars`, host patterns.

pub mod cfg;
pub mod inventory;
pub mod playbook;
pub mod yaml;
pub mod yaml11;

use std::sync::Arc;

/// One host's (or one layer's) variables: name → the YAML node that defines the value.
///
/// The node's span is the definition users edit (a group_vars or inventory line). Layers are
/// combined by replacing whole top-level names (Ansible's default `hash_behaviour = replace`).
pub type Vars = indexmap::IndexMap<String, Arc<yaml::Node>>;

/// An MX104 finding: a file Ansible cannot load, at the place of the problem.
pub(crate) fn load_error(
    span: crate::source::Span,
    message: String,
) -> crate::diagnostic::Diagnostic {
    crate::diagnostic::Diagnostic::new(&crate::rules::ansible_load_error::RULE, span, message)
}

/// Reads and parses a YAML file; a file that cannot be read or parsed is an MX104 finding
/// (an unreadable file is added to `db` empty so the finding has a place).
pub(crate) fn load_yaml_file(
    db: &mut crate::source::SourceDb,
    path: &std::path::Path,
) -> Result<Vec<yaml::Node>, Box<crate::diagnostic::Diagnostic>> {
    let file = match crate::source::read_source(db, path) {
        Ok(file) => file,
        Err(error) => {
            let file = db.add(path, String::new());
            let span = crate::source::Span::new(file, 0, 0);
            return Err(Box::new(load_error(span, error.message)));
        }
    };
    let text = db.file(file).shared_text();
    yaml::load(file, &text).map_err(|e| Box::new(load_error(e.span, e.message)))
}
