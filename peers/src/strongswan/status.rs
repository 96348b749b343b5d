//! Reading `swanctl --list-sas --raw`: one `list-sa event {...}` line per IKE SA, a
//! nested `name {key=value list=[a b] section {...}}` text of vici's message tree.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::peer::error::{PeerError, PeerResult};
use crate::peer::keys::{cipher_from_name, group_token, integrity_from_name};
use crate::peer::status::{ChildSaStatus, Endpoint, IkeSaStatus, PeerStatus};

use super::config::PEER;

/// A vici message element.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Element {
    Value(String),
    List(Vec<String>),
    Section(Section),
}

type Section = Vec<(String, Element)>;

pub(crate) fn parse_list_sas(raw: &str) -> PeerResult<PeerStatus> {
    let mut status = PeerStatus::default();
    for line in raw.lines().filter(|line| line.starts_with("list-sa event")) {
        let body = line.trim_start_matches("list-sa event").trim();
        let mut parser = Parser { text: body.as_bytes(), at: 0 };
        let event = parser.section_body_in_braces().ok_or_else(|| malformed(line))?;
        for (connection, element) in event {
            let Element::Section(fields) = element else { return Err(malformed(line)) };
            status.ike_sas.push(ike_sa(connection, &Fields::of(&fields)));
        }
    }
    Ok(status)
}

fn malformed(line: &str) -> PeerError {
    PeerError::Parse { peer: PEER, what: format!("swanctl --list-sas --raw line {line:?}") }
}

fn ike_sa(connection: String, fields: &Fields<'_>) -> IkeSaStatus {
    let state = fields.text("state").unwrap_or_default();
    IkeSaStatus {
        id: fields.text("uniqueid"),
        connection,
        established: state == "ESTABLISHED",
        state,
        local: fields.endpoint("local-host", "local-port"),
        remote: fields.endpoint("remote-host", "remote-port"),
        initiator_cookie: fields.text("initiator-spi"),
        responder_cookie: fields.text("responder-spi"),
        proposal: ike_proposal(fields),
        rekey_in_secs: fields.number("reauth-time").or_else(|| fields.number("rekey-time")),
        children: fields
            .sections("child-sas")
            .into_iter()
            .map(|child| child_sa(&Fields::of(child)))
            .collect(),
    }
}

fn child_sa(fields: &Fields<'_>) -> ChildSaStatus {
    let state = fields.text("state").unwrap_or_default();
    ChildSaStatus {
        id: fields.text("uniqueid"),
        name: fields.text("name").unwrap_or_default(),
        installed: state == "INSTALLED",
        state,
        mode: fields.text("mode").unwrap_or_default().to_ascii_lowercase(),
        udp_encapsulated: fields.text("encap").as_deref() == Some("yes"),
        spi_in: fields.hex("spi-in"),
        spi_out: fields.hex("spi-out"),
        proposal: esp_proposal(fields),
        pfs_group: fields.text("dh-group").map(|group| group_token(&group)),
        pfs_group_is_configured: false,
        bytes_in: fields.number("bytes-in"),
        bytes_out: fields.number("bytes-out"),
        packets_in: fields.number("packets-in"),
        packets_out: fields.number("packets-out"),
        rekey_in_secs: fields.number("rekey-time"),
        expires_in_secs: fields.number("life-time"),
        local_ts: fields.list("local-ts"),
        remote_ts: fields.list("remote-ts"),
    }
}

/// `AES_CBC` 128 + `HMAC_SHA2_256_128` + `MODP_2048` -> `aes128-sha256-modp2048`.
fn ike_proposal(fields: &Fields<'_>) -> Option<String> {
    let (cipher, hash) = cipher_and_integrity(fields)?;
    let group = group_token(&fields.text("dh-group")?);
    Some(format!("{cipher}-{hash}-{group}"))
}

/// `aes128-sha256` (the PFS group is reported apart).
fn esp_proposal(fields: &Fields<'_>) -> Option<String> {
    let (cipher, integrity) = cipher_and_integrity(fields)?;
    Some(if integrity.is_empty() { cipher } else { format!("{cipher}-{integrity}") })
}

fn cipher_and_integrity(fields: &Fields<'_>) -> Option<(String, String)> {
    let key_bits = fields.number("encr-keysize").unwrap_or(0) as u32;
    let cipher = cipher_from_name(&fields.text("encr-alg")?, key_bits)?;
    let integrity = fields.text("integ-alg").and_then(|name| integrity_from_name(&name));
    Some((cipher.token().to_owned(), integrity.map_or("", |integrity| integrity.token()).to_owned()))
}

/// Lookups in one section.
struct Fields<'a>(BTreeMap<&'a str, &'a Element>);

impl<'a> Fields<'a> {
    fn of(section: &'a Section) -> Self {
        Fields(section.iter().map(|(key, element)| (key.as_str(), element)).collect())
    }

    fn text(&self, key: &str) -> Option<String> {
        match self.0.get(key) {
            Some(Element::Value(value)) => Some(value.clone()),
            _ => None,
        }
    }

    fn number(&self, key: &str) -> Option<u64> {
        self.text(key)?.parse().ok()
    }

    fn hex(&self, key: &str) -> Option<u32> {
        u32::from_str_radix(&self.text(key)?, 16).ok()
    }

    fn list(&self, key: &str) -> Vec<String> {
        match self.0.get(key) {
            Some(Element::List(items)) => items.clone(),
            _ => Vec::new(),
        }
    }

    fn sections(&self, key: &str) -> Vec<&'a Section> {
        match self.0.get(key) {
            Some(Element::Section(children)) => children
                .iter()
                .filter_map(|(_, element)| match element {
                    Element::Section(section) => Some(section),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn endpoint(&self, host: &str, port: &str) -> Option<Endpoint> {
        let address: IpAddr = self.text(host)?.parse().ok()?;
        Some(Endpoint { address, port: self.number(port).and_then(|port| u16::try_from(port).ok()) })
    }
}

/// A hand-written reader for the raw format; names and values never contain
/// whitespace, braces or brackets in what ikelab configures.
struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn section_body_in_braces(&mut self) -> Option<Section> {
        self.expect(b'{')?;
        let mut section = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek()? {
                b'}' => {
                    self.at += 1;
                    return Some(section);
                }
                _ => {
                    let name = self.word();
                    self.skip_spaces();
                    let element = match self.peek()? {
                        b'{' => Element::Section(self.section_body_in_braces()?),
                        b'=' => {
                            self.at += 1;
                            if self.peek()? == b'[' {
                                Element::List(self.list()?)
                            } else {
                                Element::Value(self.word())
                            }
                        }
                        _ => return None,
                    };
                    section.push((name, element));
                }
            }
        }
    }

    fn list(&mut self) -> Option<Vec<String>> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        loop {
            self.skip_spaces();
            if self.peek()? == b']' {
                self.at += 1;
                return Some(items);
            }
            let item = self.list_item();
            // Text the grammar does not know must end the parse, not loop on it.
            if item.is_empty() {
                return None;
            }
            items.push(item);
        }
    }

    /// A list item, with the `[protocol/port]` a traffic selector may carry:
    /// `198.51.100.1/32[icmp]`, `10.0.0.0/8[udp/53]`.
    fn list_item(&mut self) -> String {
        let mut item = self.word();
        if !item.is_empty() && self.peek() == Some(b'[') {
            let start = self.at;
            while self.peek().is_some_and(|byte| byte != b']') {
                self.at += 1;
            }
            self.at = (self.at + 1).min(self.text.len());
            item.push_str(&String::from_utf8_lossy(&self.text[start..self.at]));
        }
        item
    }

    fn word(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(|byte| !matches!(byte, b' ' | b'\t' | b'{' | b'}' | b'=' | b'[' | b']'))
        {
            self.at += 1;
        }
        String::from_utf8_lossy(&self.text[start..self.at]).into_owned()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_spaces();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|byte| byte.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_with_protocols_parse_and_junk_ends_the_parse() {
        let raw = "list-sa event {c {uniqueid=3 version=1 state=ESTABLISHED child-sas {inner-4 {name=inner \
                   uniqueid=4 state=INSTALLED local-ts=[198.51.100.129/32[icmp]] remote-ts=[198.51.100.1/32[udp/53]]}}}}";
        let status = parse_list_sas(raw).unwrap();
        let child = &status.ike_sas[0].children[0];
        assert_eq!(child.local_ts, ["198.51.100.129/32[icmp]"]);
        assert_eq!(child.remote_ts, ["198.51.100.1/32[udp/53]"]);
        assert!(parse_list_sas("list-sa event {c {x=[a [ ]}}").is_err());
    }

    /// Real output of swanctl 5.9.8 after Main Mode + Quick Mode with PFS and one ping.
    const RAW: &str = "list-sa event {mm {uniqueid=1 version=1 state=ESTABLISHED local-host=192.0.2.1 \
        local-port=4500 local-id=a.example remote-host=192.0.2.2 remote-port=4500 remote-id=b.example \
        initiator=yes initiator-spi=578be3b6519ce72e responder-spi=d8ee00dc9ade4d8f nat-remote=yes \
        nat-any=yes encr-alg=AES_CBC encr-keysize=128 integ-alg=HMAC_SHA2_256_128 prf-alg=PRF_HMAC_SHA2_256 \
        dh-group=MODP_2048 established=0 reauth-time=3599 child-sas {net-1 {name=net uniqueid=1 reqid=1 \
        state=INSTALLED mode=TUNNEL protocol=ESP encap=yes spi-in=5611618d spi-out=2324630b encr-alg=AES_CBC \
        encr-keysize=128 integ-alg=HMAC_SHA2_256_128 dh-group=MODP_2048 bytes-in=84 packets-in=1 use-in=0 \
        bytes-out=84 packets-out=1 use-out=0 rekey-time=1080 life-time=1200 install-time=0 \
        local-ts=[198.51.100.1/32] remote-ts=[198.51.100.129/32]}}}}\nlist-sas reply {}\n";

    #[test]
    fn a_real_listing_reads_back_algorithms_spis_bytes_and_lifetimes() {
        let status = parse_list_sas(RAW).unwrap();
        let sa = &status.ike_sas[0];
        assert_eq!(sa.connection, "mm");
        assert!(sa.established);
        assert_eq!(sa.proposal.as_deref(), Some("aes128-sha256-modp2048"));
        assert_eq!(sa.initiator_cookie.as_deref(), Some("578be3b6519ce72e"));
        assert_eq!(sa.remote.unwrap().port, Some(4500));
        assert_eq!(sa.rekey_in_secs, Some(3599));
        let child = &sa.children[0];
        assert!(child.installed && child.udp_encapsulated);
        assert_eq!((child.spi_in, child.spi_out), (Some(0x5611618d), Some(0x2324630b)));
        assert_eq!(child.proposal.as_deref(), Some("aes128-sha256"));
        assert_eq!(child.pfs_group.as_deref(), Some("modp2048"));
        assert_eq!((child.bytes_in, child.packets_out), (Some(84), Some(1)));
        assert_eq!((child.rekey_in_secs, child.expires_in_secs), (Some(1080), Some(1200)));
        assert_eq!(child.remote_ts, ["198.51.100.129/32"]);
        assert_eq!(child.mode, "tunnel");
    }

    #[test]
    fn no_sas_is_an_empty_status_and_garbage_is_an_error() {
        assert!(parse_list_sas("list-sas reply {}\n").unwrap().ike_sas.is_empty());
        assert!(parse_list_sas("list-sa event {mm {state=").is_err());
    }
}
