//! tshark's JSON (`tshark -T json --no-duplicate-keys`): one object per packet, whose
//! `_source.layers` maps protocol names to field trees. Only loading and lookups live
//! here; what the fields mean is for the tests that compare them with our decoding.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

/// One packet of tshark's output.
#[derive(Clone, Debug, PartialEq)]
pub struct TsharkPacket {
    /// `frame.number`: 1-based, as in [`crate::Frame::number`].
    pub number: u64,
    /// Protocol name -> field tree. With `--no-duplicate-keys` a protocol that occurs
    /// twice (the outer and the tunnelled `ip`) becomes an array of trees.
    pub layers: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawPacket {
    #[serde(rename = "_source")]
    source: RawSource,
}

#[derive(Deserialize)]
struct RawSource {
    layers: Map<String, Value>,
}

impl TsharkPacket {
    /// Every occurrence of a protocol layer, outermost first.
    pub fn layers_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Map<String, Value>> + 'a {
        let occurrences: Vec<&Value> = match self.layers.get(name) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single) => vec![single],
            None => Vec::new(),
        };
        occurrences.into_iter().filter_map(Value::as_object)
    }

    /// The outermost occurrence of a protocol layer.
    pub fn layer(&self, name: &str) -> Option<&Map<String, Value>> {
        self.layers_named(name).next()
    }

    /// The first value of `field` in the outermost `layer`, looking into subtrees
    /// (`esp.icv_good` sits under `esp.icv_tree`).
    pub fn field(&self, layer: &str, field: &str) -> Option<&str> {
        self.layer(layer).and_then(|tree| field_values(tree, field).into_iter().next())
    }

    /// Every value of `field` in every occurrence of `layer`, in document order.
    pub fn fields(&self, layer: &str, field: &str) -> Vec<&str> {
        self.layers_named(layer).flat_map(|tree| field_values(tree, field)).collect()
    }

    /// `frame.protocols` split at the colons: `["eth", "ethertype", "ip", "udp", "isakmp"]`.
    pub fn protocols(&self) -> Vec<&str> {
        self.field("frame", "frame.protocols").map(|list| list.split(':').collect()).unwrap_or_default()
    }
}

/// Depth-first search of a field tree. A field repeated inside one tree is an array of
/// strings under `--no-duplicate-keys`; each element counts.
fn field_values<'a>(tree: &'a Map<String, Value>, field: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    for (key, value) in tree {
        if key == field {
            match value {
                Value::String(text) => found.push(text.as_str()),
                Value::Array(items) => found.extend(items.iter().filter_map(Value::as_str)),
                _ => {}
            }
        }
        match value {
            Value::Object(subtree) => found.extend(field_values(subtree, field)),
            Value::Array(items) => found.extend(
                items.iter().filter_map(Value::as_object).flat_map(|subtree| field_values(subtree, field)),
            ),
            _ => {}
        }
    }
    found
}

/// tshark prints bytes as colon-separated hex (`0a:67:07`); None if `text` is not that.
pub fn colon_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(':')
        .map(|pair| {
            // from_str_radix alone would also take a sign ("+a").
            let is_byte = pair.len() == 2 && pair.bytes().all(|digit| digit.is_ascii_hexdigit());
            is_byte.then(|| u8::from_str_radix(pair, 16).ok()).flatten()
        })
        .collect()
}

/// Loads tshark's JSON output from a file.
pub fn read_packets(path: &Path) -> Result<Vec<TsharkPacket>, TsharkError> {
    let with_path = |kind| TsharkError { path: Some(path.to_path_buf()), kind };
    let text = std::fs::read_to_string(path).map_err(|error| with_path(TsharkErrorKind::Io(error)))?;
    parse_packets(&text).map_err(|error| with_path(error.kind))
}

/// Loads tshark's JSON output held in memory.
pub fn parse_packets(text: &str) -> Result<Vec<TsharkPacket>, TsharkError> {
    let error = |kind| TsharkError { path: None, kind };
    let raw: Vec<RawPacket> =
        serde_json::from_str(text).map_err(|json| error(TsharkErrorKind::Json(json)))?;
    raw.into_iter()
        .enumerate()
        .map(|(index, packet)| {
            let layers = packet.source.layers;
            let number = layers
                .get("frame")
                .and_then(|frame| frame.get("frame.number"))
                .and_then(Value::as_str)
                .and_then(|number| number.parse().ok())
                .ok_or_else(|| error(TsharkErrorKind::NoFrameNumber { index }))?;
            Ok(TsharkPacket { number, layers })
        })
        .collect()
}

#[derive(Debug)]
pub struct TsharkError {
    pub path: Option<PathBuf>,
    pub kind: TsharkErrorKind,
}

#[derive(Debug)]
pub enum TsharkErrorKind {
    Io(io::Error),
    Json(serde_json::Error),
    /// The packet at this 0-based position of the array has no readable `frame.number`.
    NoFrameNumber {
        index: usize,
    },
}

impl fmt::Display for TsharkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}: ", path.display())?;
        }
        match &self.kind {
            TsharkErrorKind::Io(error) => write!(f, "{error}"),
            TsharkErrorKind::Json(error) => write!(f, "{error}"),
            TsharkErrorKind::NoFrameNumber { index } => {
                write!(f, "packet {index} of the array has no frame.number")
            }
        }
    }
}

impl std::error::Error for TsharkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            TsharkErrorKind::Io(error) => Some(error),
            TsharkErrorKind::Json(error) => Some(error),
            TsharkErrorKind::NoFrameNumber { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_IP_LAYERS: &str = r#"[
{"_index":"packets","_source":{"layers":{"frame":{"frame.number":"12","frame.protocols":"eth:ip:udp:esp:ip"},"ip":[{"ip.src":"192.0.2.2","ip.addr":["192.0.2.2","192.0.2.1"]},{"ip.src":"198.51.100.129"}],"esp":{"esp.spi":"0x19003454","esp.icv_tree":{"esp.icv_good":"1"}}}}}
]"#;

    #[test]
    fn loads_numbers_and_layers() {
        let packets = parse_packets(TWO_IP_LAYERS).unwrap();
        assert_eq!(packets.len(), 1);
        assert_eq!(packets[0].number, 12);
        assert_eq!(packets[0].protocols(), ["eth", "ip", "udp", "esp", "ip"]);
    }

    #[test]
    fn repeated_layers_are_separate_occurrences_outermost_first() {
        let packet = &parse_packets(TWO_IP_LAYERS).unwrap()[0];
        assert_eq!(packet.layers_named("ip").count(), 2);
        assert_eq!(packet.field("ip", "ip.src"), Some("192.0.2.2"));
        assert_eq!(packet.fields("ip", "ip.src"), ["192.0.2.2", "198.51.100.129"]);
        assert_eq!(packet.fields("ip", "ip.addr"), ["192.0.2.2", "192.0.2.1"]);
    }

    #[test]
    fn fields_are_found_in_subtrees() {
        let packet = &parse_packets(TWO_IP_LAYERS).unwrap()[0];
        assert_eq!(packet.field("esp", "esp.icv_good"), Some("1"));
        assert_eq!(packet.field("esp", "esp.nonexistent"), None);
        assert_eq!(packet.field("isakmp", "isakmp.ispi"), None);
    }

    #[test]
    fn missing_frame_number_names_the_packet() {
        let error = parse_packets(r#"[{"_source":{"layers":{"frame":{}}}}]"#).unwrap_err();
        assert!(matches!(error.kind, TsharkErrorKind::NoFrameNumber { index: 0 }));
        assert!(parse_packets("[{}]").is_err());
    }

    #[test]
    fn colon_hex_parses_tshark_bytes() {
        assert_eq!(colon_hex("0a:67:ff"), Some(vec![0x0a, 0x67, 0xff]));
        assert_eq!(colon_hex(""), Some(vec![]));
        assert_eq!(colon_hex("0a:6"), None);
        assert_eq!(colon_hex("0a67"), None);
        assert_eq!(colon_hex("+a:67"), None);
    }
}
