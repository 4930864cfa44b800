//! ansible: reading an Ansible repository the way Ansible does (issue 3, in progress).
//!
//! So far: the YAML 1.1 scalar resolution PyYAML applies to inventories, group_vars and tasks.

pub mod yaml11;
