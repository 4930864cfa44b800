//! inventory::data: hosts and groups while the sources are read — the operations of
//! ansible-core 2.19 `inventory/data.py` `InventoryData`, `group.py` and `host.py` (add a group,
//! a host, a child, set a variable) and `reconcile_inventory()`.
//!
//! Knows nothing about file formats; the INI and YAML readers call it. A refused operation
//! (a loop in `children`, an unknown child) is an `Err` with Ansible's message: the caller turns
//! it into a finding at its own line and goes on.

use super::{Group, GroupId, Host, HostId};
use crate::ansible::yaml::{Node, Value};
use crate::ansible::Vars;
use crate::source::Span;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub(crate) const ALL: GroupId = GroupId(0);
pub(crate) const UNGROUPED: GroupId = GroupId(1);

/// The inventory being built.
#[derive(Clone, Debug)]
pub(crate) struct Builder {
    pub hosts: Vec<Host>,
    pub groups: Vec<Group>,
    host_index: HashMap<String, HostId>,
    group_index: HashMap<String, GroupId>,
    /// (group, host) pairs of `Group.hosts`, for a constant-time membership test.
    members: HashSet<(GroupId, HostId)>,
}

impl Builder {
    /// `all` and `ungrouped`, the second a child of the first.
    pub fn new() -> Self {
        let mut b = Builder {
            hosts: Vec::new(),
            groups: Vec::new(),
            host_index: HashMap::new(),
            group_index: HashMap::new(),
            members: HashSet::new(),
        };
        b.add_group("all", None);
        b.add_group("ungrouped", None);
        b.add_child_group(ALL, UNGROUPED)
            .expect("a new group has no loop");
        b
    }

    pub fn group_id(&self, name: &str) -> Option<GroupId> {
        self.group_index.get(name).copied()
    }

    pub fn host_id(&self, name: &str) -> Option<HostId> {
        self.host_index.get(name).copied()
    }

    pub fn group(&self, id: GroupId) -> &Group {
        &self.groups[id.0 as usize]
    }

    fn group_mut(&mut self, id: GroupId) -> &mut Group {
        &mut self.groups[id.0 as usize]
    }

    fn host_mut(&mut self, id: HostId) -> &mut Host {
        &mut self.hosts[id.0 as usize]
    }

    /// `add_group`: the existing group of that name, or a new one defined at `span`.
    pub fn add_group(&mut self, name: &str, span: Option<Span>) -> GroupId {
        if let Some(id) = self.group_id(name) {
            return id;
        }
        let id = GroupId(self.groups.len() as u32);
        self.groups.push(Group {
            name: name.to_string(),
            vars: Vars::new(),
            hosts: Vec::new(),
            children: Vec::new(),
            parents: Vec::new(),
            priority: 1,
            depth: 0,
            span,
        });
        self.group_index.insert(name.to_string(), id);
        id
    }

    /// `add_host(name, group, port)`: a new host gets `ansible_port` first when `port` is set
    /// and not 0 (a port on a host seen before is ignored, as in Ansible).
    pub fn add_host(
        &mut self,
        name: &str,
        group: GroupId,
        port: Option<&Arc<Node>>,
        span: Span,
    ) -> HostId {
        let id = match self.host_id(name) {
            Some(id) => id,
            None => {
                let id = HostId(self.hosts.len() as u32);
                let mut vars = Vars::new();
                if let Some(port) = port.filter(|p| p.value != Value::Int(0)) {
                    vars.insert("ansible_port".into(), Arc::clone(port));
                }
                self.hosts.push(Host {
                    name: name.to_string(),
                    vars,
                    span,
                    groups: Vec::new(),
                });
                self.host_index.insert(name.to_string(), id);
                id
            }
        };
        if self.members.insert((group, id)) {
            self.group_mut(group).hosts.push(id);
        }
        id
    }

    /// `Group.add_child_group`: refuses the group itself and any of its ancestors.
    pub fn add_child_group(&mut self, parent: GroupId, child: GroupId) -> Result<(), String> {
        if parent == child {
            return Err(format!(
                "can't add group '{}' to itself",
                self.group(parent).name
            ));
        }
        if self.group(parent).children.contains(&child) {
            return Ok(());
        }
        if self.is_ancestor(child, parent) {
            return Err(format!(
                "Adding group '{}' as child to '{}' creates a recursive dependency loop.",
                self.group(child).name,
                self.group(parent).name
            ));
        }
        self.group_mut(parent).children.push(child);
        let parent_name = self.group(parent).name.clone();
        let has_parent_named = self
            .group(child)
            .parents
            .iter()
            .any(|&p| self.group(p).name == parent_name);
        if !has_parent_named {
            self.group_mut(child).parents.push(parent);
        }
        Ok(())
    }

    /// Whether `candidate` is `of` itself or one of its ancestors.
    fn is_ancestor(&self, candidate: GroupId, of: GroupId) -> bool {
        let mut seen = vec![false; self.groups.len()];
        let mut stack = vec![of];
        while let Some(g) = stack.pop() {
            if g == candidate {
                return true;
            }
            if !std::mem::replace(&mut seen[g.0 as usize], true) {
                stack.extend(self.group(g).parents.iter().copied());
            }
        }
        false
    }

    /// `InventoryData.add_child(group, child)`: a group or a host of that name.
    pub fn add_child(&mut self, parent: GroupId, child: &str, span: Span) -> Result<(), String> {
        if let Some(group) = self.group_id(child) {
            self.add_child_group(parent, group)
        } else if self.host_id(child).is_some() {
            self.add_host(child, parent, None, span);
            Ok(())
        } else {
            Err(format!("{child} is not a known host nor group"))
        }
    }

    /// `Group.set_variable`: `ansible_group_priority` sets the priority instead of a variable.
    pub fn set_group_var(
        &mut self,
        group: GroupId,
        key: String,
        value: Arc<Node>,
    ) -> Result<(), String> {
        if key == "ansible_group_priority" {
            if let Some(priority) = priority_of(&value)? {
                self.group_mut(group).priority = priority;
            }
            return Ok(());
        }
        self.group_mut(group).vars.insert(key, value);
        Ok(())
    }

    pub fn set_host_var(&mut self, host: HostId, key: String, value: Arc<Node>) {
        self.host_mut(host).vars.insert(key, value);
    }

    /// `reconcile_inventory()`: groups without a parent go under `all`; a host only in `all`
    /// goes to `ungrouped`, and a host in another group leaves `ungrouped`.
    pub fn reconcile(&mut self) {
        for g in 2..self.groups.len() {
            let id = GroupId(g as u32);
            if self.group(id).parents.is_empty() {
                self.add_child_group(ALL, id)
                    .expect("a group without parents has no loop");
            }
        }
        let memberships = self.direct_groups();
        let mut leaving = HashSet::new();
        for (h, direct) in memberships.iter().enumerate() {
            let id = HostId(h as u32);
            let elsewhere = direct.iter().any(|&g| g != ALL && g != UNGROUPED);
            if direct.contains(&UNGROUPED) {
                if elsewhere {
                    self.members.remove(&(UNGROUPED, id));
                    leaving.insert(id);
                }
            } else if !elsewhere && self.members.insert((UNGROUPED, id)) {
                self.group_mut(UNGROUPED).hosts.push(id);
            }
        }
        self.group_mut(UNGROUPED)
            .hosts
            .retain(|h| !leaving.contains(h));
    }

    /// Hosts, groups and their name indexes, for the finished inventory.
    #[allow(clippy::type_complexity)]
    pub fn into_parts(
        self,
    ) -> (
        Vec<Host>,
        Vec<Group>,
        HashMap<String, HostId>,
        HashMap<String, GroupId>,
    ) {
        (self.hosts, self.groups, self.host_index, self.group_index)
    }

    /// For each host, the groups that list it directly.
    pub fn direct_groups(&self) -> Vec<Vec<GroupId>> {
        let mut out = vec![Vec::new(); self.hosts.len()];
        for (g, group) in self.groups.iter().enumerate() {
            for h in &group.hosts {
                out[h.0 as usize].push(GroupId(g as u32));
            }
        }
        out
    }
}

/// `Group.set_priority(int(value))`: `Ok(None)` where Python's `int()` raises `TypeError`
/// (Ansible ignores it), `Err` where it raises `ValueError` (the inventory file fails).
fn priority_of(node: &Node) -> Result<Option<i64>, String> {
    let invalid = |text: &str| format!("invalid literal for int() with base 10: '{text}'");
    Ok(Some(match &node.value {
        Value::Int(i) => i64::try_from(*i).map_err(|_| invalid(&i.to_string()))?,
        Value::Bool(b) => i64::from(*b),
        Value::Float(f) if f.is_finite() => f.trunc() as i64,
        Value::Float(f) => return Err(format!("cannot convert float {f} to integer")),
        Value::Str(s) | Value::Unsafe(s) | Value::Timestamp(s) => {
            let value = super::address::python_int(s).ok_or_else(|| invalid(s))?;
            i64::try_from(value).map_err(|_| invalid(s))?
        }
        Value::Null | Value::Seq(_) | Value::Map(_) | Value::Vault => return Ok(None),
    }))
}

/// Every group `direct` reaches through parents, `direct` included.
pub(crate) fn with_ancestors(groups: &[Group], direct: &[GroupId]) -> Vec<GroupId> {
    let mut seen = vec![false; groups.len()];
    let mut stack: Vec<GroupId> = direct.to_vec();
    let mut out = Vec::new();
    while let Some(g) = stack.pop() {
        if !std::mem::replace(&mut seen[g.0 as usize], true) {
            out.push(g);
            stack.extend(groups[g.0 as usize].parents.iter().copied());
        }
    }
    out
}
