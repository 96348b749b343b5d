//! Random packet loss on an interface, changeable while traffic flows.
//!
//! The host has no netem, so loss is an nftables `numgen random mod 100 < N drop` rule
//! on the interface's netdev ingress and egress hooks: it hits both directions and every
//! frame (IKE, ESP, ICMP, ARP), as loss on a real cable would.

use crate::guard::{Namespace, Result};

/// Loss control for one interface of a namespace. The rules live in the namespace and
/// go with it; `set_percent(0)` removes their effect.
#[derive(Debug)]
pub struct Loss<'a> {
    namespace: &'a Namespace,
    interface: String,
}

impl<'a> Loss<'a> {
    pub fn on(namespace: &'a Namespace, interface: &str) -> Self {
        Loss { namespace, interface: interface.to_owned() }
    }

    /// Drops `percent` % of frames each way at random (0 = none, 100 = all). Applied
    /// atomically.
    pub fn set_percent(&self, percent: u8) -> Result<()> {
        assert!(percent <= 100, "loss is a percentage, got {percent}");
        self.apply(&Pattern::Random(percent))
    }

    /// Drops every `n`th frame each way (counted per direction): loss of 100/n % that
    /// repeats run after run, so a case under loss is not a lottery.
    pub fn set_every_nth(&self, n: u32) -> Result<()> {
        assert!(n >= 1, "every 0th frame means nothing");
        self.apply(&Pattern::EveryNth(n))
    }

    fn apply(&self, pattern: &Pattern) -> Result<()> {
        let table =
            format!("ikelab_loss_{}", self.interface.replace(|c: char| !c.is_ascii_alphanumeric(), "_"));
        self.namespace.nft(&script(&table, &self.interface, pattern))
    }
}

enum Pattern {
    Random(u8),
    EveryNth(u32),
}

impl Pattern {
    /// The rule that drops, if any frame is to be dropped at all.
    fn rule(&self) -> Option<String> {
        match *self {
            Pattern::Random(0) => None,
            // nft knows numgen's range is 0-99 and rejects `< 100`, so full loss is a plain drop.
            Pattern::Random(100) | Pattern::EveryNth(1) => Some("drop".into()),
            Pattern::Random(percent) => Some(format!("numgen random mod 100 < {percent} drop")),
            // A counter per rule: frames n, 2n, 3n... of each direction go.
            Pattern::EveryNth(n) => Some(format!("numgen inc mod {n} == {} drop", n - 1)),
        }
    }
}

/// An nft batch that (re)creates the table's two chains and sets their one rule.
fn script(table: &str, device: &str, pattern: &Pattern) -> String {
    let mut script = format!("add table netdev {table}\n");
    for hook in ["ingress", "egress"] {
        script += &format!(
            "add chain netdev {table} {hook} {{ type filter hook {hook} device \"{device}\" priority 0; policy accept; }}\n\
                 flush chain netdev {table} {hook}\n"
        );
        if let Some(rule) = pattern.rule() {
            script += &format!("add rule netdev {table} {hook} {rule}\n");
        }
    }
    script
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_script_replaces_the_rule_in_both_directions() {
        let script = |percent| super::script("ikelab_loss_eth0", "eth0", &super::Pattern::Random(percent));
        let lossy = script(30);
        assert_eq!(lossy.matches("flush chain").count(), 2);
        assert_eq!(lossy.matches("numgen random mod 100 < 30 drop").count(), 2);
        assert!(lossy.contains("hook egress device \"eth0\""));
        assert!(!script(0).contains("drop"));
        assert_eq!(script(100).matches("egress drop").count(), 1);
        let every_fifth = super::script("t", "eth0", &super::Pattern::EveryNth(5));
        assert_eq!(every_fifth.matches("numgen inc mod 5 == 4 drop").count(), 2);
    }
}
