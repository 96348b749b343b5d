//! Capture files: classic pcap (either byte order, micro- or nanosecond stamps) and pcapng.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{PcapError, TsResolution};

use super::{Frame, LinkType};

/// Why a capture file could not be read, and where.
#[derive(Debug)]
pub struct CaptureError {
    pub path: Option<PathBuf>,
    /// The 1-based number of the frame being read, if the file header was already read.
    pub frame: Option<u64>,
    /// Byte offset in the file of the header, record or block that failed.
    pub offset: u64,
    pub kind: CaptureErrorKind,
}

#[derive(Debug)]
pub enum CaptureErrorKind {
    Io(io::Error),
    /// Neither a pcap nor a pcapng magic number.
    UnknownFormat,
    /// The file ends inside a header, record or block.
    Truncated,
    /// A header or block field the pcap reader rejects.
    Malformed(String),
    /// A pcapng packet names an interface no Interface Description Block described.
    UnknownInterface(u32),
    /// A pcapng `if_tsresol` too fine to convert to a time.
    UnsupportedTimestampResolution(u8),
}

impl CaptureError {
    fn with_path(self, path: &Path) -> Self {
        CaptureError { path: Some(path.to_path_buf()), ..self }
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}: ", path.display())?;
        }
        if let Some(frame) = self.frame {
            write!(f, "frame {frame}, ")?;
        }
        write!(f, "byte {}: ", self.offset)?;
        match &self.kind {
            CaptureErrorKind::Io(error) => write!(f, "{error}"),
            CaptureErrorKind::UnknownFormat => f.write_str("neither pcap nor pcapng"),
            CaptureErrorKind::Truncated => f.write_str("file ends inside a header or record"),
            CaptureErrorKind::Malformed(what) => write!(f, "malformed capture: {what}"),
            CaptureErrorKind::UnknownInterface(id) => {
                write!(f, "packet names undescribed interface {id}")
            }
            CaptureErrorKind::UnsupportedTimestampResolution(resolution) => {
                write!(f, "unsupported pcapng timestamp resolution 0x{resolution:02x}")
            }
        }
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CaptureErrorKind::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// Reads every frame of the capture file at `path`.
pub fn read_frames(path: &Path) -> Result<Vec<Frame>, CaptureError> {
    let bytes = std::fs::read(path).map_err(|error| {
        CaptureError { path: None, frame: None, offset: 0, kind: CaptureErrorKind::Io(error) }.with_path(path)
    })?;
    parse_frames(&bytes).map_err(|error| error.with_path(path))
}

/// Reads every frame of a capture held in memory; fails on the first malformed record.
pub fn parse_frames(bytes: &[u8]) -> Result<Vec<Frame>, CaptureError> {
    FrameReader::new(bytes)?.collect()
}

/// Frames one by one, so a reader can keep the frames before a damaged record.
/// After an error the iterator ends.
pub struct FrameReader<'a> {
    format: Format,
    input: &'a [u8],
    rest: &'a [u8],
    frames_read: u64,
    failed: bool,
}

enum Format {
    Pcap(PcapParser),
    PcapNg(PcapNgParser),
}

const PCAPNG_SECTION_HEADER: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const PCAP_MAGICS: [u32; 2] = [0xa1b2_c3d4, 0xa1b2_3c4d];

/// pcapng's default `if_tsresol`: microseconds.
const DEFAULT_TSRESOL: u8 = 6;

impl<'a> FrameReader<'a> {
    pub fn new(input: &'a [u8]) -> Result<Self, CaptureError> {
        let header_error = |kind| CaptureError { path: None, frame: None, offset: 0, kind };
        let Some(&magic) = input.first_chunk::<4>() else {
            return Err(header_error(CaptureErrorKind::Truncated));
        };
        let (rest, format) = if magic == PCAPNG_SECTION_HEADER {
            PcapNgParser::new(input).map(|(rest, parser)| (rest, Format::PcapNg(parser)))
        } else if PCAP_MAGICS
            .iter()
            .any(|&known| known == u32::from_be_bytes(magic) || known == u32::from_le_bytes(magic))
        {
            PcapParser::new(input).map(|(rest, parser)| (rest, Format::Pcap(parser)))
        } else {
            return Err(header_error(CaptureErrorKind::UnknownFormat));
        }
        .map_err(|error| header_error(kind_of(error)))?;
        Ok(FrameReader { format, input, rest, frames_read: 0, failed: false })
    }

    fn offset(&self) -> u64 {
        (self.input.len() - self.rest.len()) as u64
    }

    fn error(&self, offset: u64, kind: CaptureErrorKind) -> CaptureError {
        CaptureError { path: None, frame: Some(self.frames_read + 1), offset, kind }
    }

    fn next_pcap_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        let Format::Pcap(parser) = &self.format else {
            return Ok(None);
        };
        let header = parser.header();
        let (rest, record) =
            parser.next_raw_packet(self.rest).map_err(|error| self.error(self.offset(), kind_of(error)))?;
        let fraction = Duration::from_nanos(match header.ts_resolution {
            TsResolution::MicroSecond => u64::from(record.ts_frac) * 1_000,
            TsResolution::NanoSecond => u64::from(record.ts_frac),
        });
        let timestamp = Duration::from_secs(u64::from(record.ts_sec)) + fraction;
        let frame = Frame::new(
            self.frames_read + 1,
            timestamp,
            header.datalink.into(),
            record.orig_len,
            record.data.into_owned(),
        );
        self.rest = rest;
        Ok(Some(frame))
    }

    fn next_pcapng_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        while !self.rest.is_empty() {
            let block_offset = self.offset();
            let Format::PcapNg(parser) = &mut self.format else {
                return Ok(None);
            };
            let (rest, block) = match parser.next_block(self.rest) {
                Ok(parsed) => parsed,
                Err(error) => return Err(self.error(block_offset, kind_of(error))),
            };
            // Packet blocks carry raw clock ticks; their interface says how long a tick is.
            let (interface, ticks, original_len, data) = match block {
                Block::EnhancedPacket(packet) => (
                    packet.interface_id,
                    Some(u64::try_from(packet.timestamp.as_nanos()).unwrap_or(u64::MAX)),
                    packet.original_len,
                    packet.data,
                ),
                Block::Packet(packet) => {
                    (u32::from(packet.interface_id), Some(packet.timestamp), packet.original_len, packet.data)
                }
                Block::SimplePacket(packet) => (0, None, packet.original_len, packet.data),
                _ => {
                    self.rest = rest;
                    continue;
                }
            };
            let described = usize::try_from(interface).ok().and_then(|index| parser.interfaces().get(index));
            let Some((link_type, clock)) = described
                .map(|description| (LinkType::from(description.linktype), InterfaceClock::of(description)))
            else {
                return Err(self.error(block_offset, CaptureErrorKind::UnknownInterface(interface)));
            };
            let timestamp = match ticks {
                Some(ticks) => clock.time(ticks).ok_or_else(|| {
                    self.error(
                        block_offset,
                        CaptureErrorKind::UnsupportedTimestampResolution(clock.resolution),
                    )
                })?,
                // Simple packet blocks have no timestamp.
                None => Duration::ZERO,
            };
            // A simple packet block's data runs to the block end, padding included.
            let captured_len = data.len().min(usize::try_from(original_len).unwrap_or(usize::MAX));
            let data = data[..captured_len].to_vec();
            self.rest = rest;
            return Ok(Some(Frame::new(self.frames_read + 1, timestamp, link_type, original_len, data)));
        }
        Ok(None)
    }
}

impl Iterator for FrameReader<'_> {
    type Item = Result<Frame, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let next = match self.format {
            Format::Pcap(_) => self.next_pcap_frame(),
            Format::PcapNg(_) => self.next_pcapng_frame(),
        };
        match next {
            Ok(Some(frame)) => {
                self.frames_read += 1;
                Some(Ok(frame))
            }
            Ok(None) => None,
            Err(error) => {
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}

/// How an interface's timestamps turn into time since the epoch.
struct InterfaceClock {
    /// `if_tsresol`: 10^-n seconds per tick, or 2^-n when the top bit is set.
    resolution: u8,
    /// `if_tsoffset`: seconds to add to every timestamp.
    offset_secs: u64,
}

impl InterfaceClock {
    fn of(description: &InterfaceDescriptionBlock<'_>) -> Self {
        let mut clock = InterfaceClock { resolution: DEFAULT_TSRESOL, offset_secs: 0 };
        for option in &description.options {
            match option {
                InterfaceDescriptionOption::IfTsResol(resolution) => clock.resolution = *resolution,
                InterfaceDescriptionOption::IfTsOffset(offset) => clock.offset_secs = *offset,
                _ => {}
            }
        }
        clock
    }

    /// None when the resolution is too fine to represent (beyond 10^-38 s per tick).
    fn time(&self, ticks: u64) -> Option<Duration> {
        const NANOS_PER_SEC: u128 = 1_000_000_000;
        let exponent = u32::from(self.resolution & 0x7f);
        let ticks_per_sec = if self.resolution & 0x80 == 0 {
            10u128.checked_pow(exponent)?
        } else {
            2u128.checked_pow(exponent)?
        };
        let ticks = u128::from(ticks);
        let secs = u64::try_from(ticks / ticks_per_sec).ok()?;
        let remainder = ticks % ticks_per_sec;
        // Both branches stay far from overflow: remainder < ticks_per_sec.
        let nanos = if ticks_per_sec <= NANOS_PER_SEC {
            remainder * NANOS_PER_SEC / ticks_per_sec
        } else {
            remainder / (ticks_per_sec / NANOS_PER_SEC)
        };
        let since_epoch =
            Duration::from_secs(secs).checked_add(Duration::from_nanos(u64::try_from(nanos).ok()?))?;
        since_epoch.checked_add(Duration::from_secs(self.offset_secs))
    }
}

fn kind_of(error: PcapError) -> CaptureErrorKind {
    match error {
        PcapError::IncompleteBuffer => CaptureErrorKind::Truncated,
        PcapError::IoError(error) => CaptureErrorKind::Io(error),
        other => CaptureErrorKind::Malformed(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use pcap_file::pcap::{PcapHeader, PcapWriter, RawPcapPacket};
    use pcap_file::pcapng::PcapNgWriter;
    use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
    use pcap_file::pcapng::blocks::simple_packet::SimplePacketBlock;
    use pcap_file::{DataLink, Endianness};

    use super::super::Dissected;
    use super::super::test_packets::{Ipv4, UDP, udp_datagram};
    use super::*;

    fn raw_ipv4_udp(payload: &[u8]) -> Vec<u8> {
        Ipv4::new(UDP, udp_datagram(500, 500, payload)).bytes()
    }

    fn pcap_file(header: PcapHeader, records: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut writer = PcapWriter::with_header(Vec::new(), header).unwrap();
        for (ts_sec, ts_frac, orig_len, data) in records {
            let record = RawPcapPacket {
                ts_sec: *ts_sec,
                ts_frac: *ts_frac,
                incl_len: data.len() as u32,
                orig_len: *orig_len,
                data: Cow::Borrowed(data),
            };
            writer.write_raw_packet(&record).unwrap();
        }
        writer.into_writer()
    }

    fn raw_ip_header(endianness: Endianness, ts_resolution: TsResolution, snaplen: u32) -> PcapHeader {
        PcapHeader { datalink: DataLink::RAW, endianness, ts_resolution, snaplen, ..PcapHeader::default() }
    }

    #[test]
    fn pcap_big_endian_nanosecond_frames_are_numbered_and_dissected() {
        let first = raw_ipv4_udp(b"one");
        let second = raw_ipv4_udp(b"two");
        let header = raw_ip_header(Endianness::Big, TsResolution::NanoSecond, 65535);
        let file = pcap_file(header, &[(10, 5, first.len() as u32, first), (11, 999_999_999, 31, second)]);
        let frames = parse_frames(&file).unwrap();
        assert_eq!(frames.iter().map(|frame| frame.number).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(frames[0].timestamp, Duration::new(10, 5));
        assert_eq!(frames[1].timestamp, Duration::new(11, 999_999_999));
        assert_eq!(frames[1].link_type, LinkType::RAW);
        assert_eq!(frames[1].payload(), Some(&b"two"[..]));
    }

    #[test]
    fn pcap_snap_length_cut_frames_still_load() {
        // pcap-file's validating reader would refuse orig_len > snaplen; real captures have it.
        let packet = raw_ipv4_udp(&[0; 200]);
        let header = raw_ip_header(Endianness::Little, TsResolution::MicroSecond, 64);
        let file = pcap_file(header, &[(1, 250_000, packet.len() as u32, packet[..64].to_vec())]);
        let frames = parse_frames(&file).unwrap();
        assert_eq!(frames[0].timestamp, Duration::new(1, 250_000_000));
        assert_eq!(frames[0].original_len, 228);
        assert_eq!(frames[0].data.len(), 64);
        assert!(matches!(&frames[0].dissected, Dissected::Other(stop) if stop.offset == 0));
    }

    #[test]
    fn pcap_cut_inside_a_record_names_the_frame_and_offset() {
        let packet = raw_ipv4_udp(b"x");
        let header = raw_ip_header(Endianness::Little, TsResolution::MicroSecond, 65535);
        let mut file = pcap_file(header, &[(1, 0, 29, packet.clone()), (2, 0, 29, packet)]);
        file.truncate(file.len() - 1);

        let error = parse_frames(&file).unwrap_err();
        assert_eq!((error.frame, error.offset), (Some(2), 24 + 16 + 29));
        assert!(matches!(error.kind, CaptureErrorKind::Truncated));
        assert_eq!(error.to_string(), "frame 2, byte 69: file ends inside a header or record");

        // The reader still hands out the frames before the damage, then stops.
        let mut reader = FrameReader::new(&file).unwrap();
        assert_eq!(reader.next().unwrap().unwrap().number, 1);
        assert!(reader.next().unwrap().is_err());
        assert!(reader.next().is_none());
    }

    #[test]
    fn neither_pcap_nor_pcapng_is_refused_up_front() {
        let error = FrameReader::new(b"GIF89a......................").err().unwrap();
        assert!(matches!(error.kind, CaptureErrorKind::UnknownFormat));
        assert_eq!(error.frame, None);
        assert!(matches!(FrameReader::new(b"").err().unwrap().kind, CaptureErrorKind::Truncated));
    }

    #[test]
    fn read_frames_errors_name_the_path() {
        let error = read_frames(Path::new("/nonexistent/capture.pcap")).unwrap_err();
        assert!(matches!(error.kind, CaptureErrorKind::Io(_)));
        assert!(error.to_string().starts_with("/nonexistent/capture.pcap: byte 0: "));
    }

    fn pcapng_interface(
        linktype: DataLink,
        options: Vec<InterfaceDescriptionOption<'static>>,
    ) -> Block<'static> {
        Block::InterfaceDescription(InterfaceDescriptionBlock { linktype, snaplen: 0, options })
    }

    fn pcapng_packet(interface_id: u32, ticks: u64, data: &[u8]) -> Block<'_> {
        Block::EnhancedPacket(EnhancedPacketBlock {
            interface_id,
            // pcap-file stores the raw tick count as nanoseconds.
            timestamp: Duration::from_nanos(ticks),
            original_len: data.len() as u32,
            data: Cow::Borrowed(data),
            options: Vec::new(),
        })
    }

    fn pcapng_file(blocks: &[Block<'_>]) -> Vec<u8> {
        let mut writer = PcapNgWriter::with_endianness(Vec::new(), Endianness::Little).unwrap();
        for block in blocks {
            writer.write_block(block).unwrap();
        }
        writer.into_inner()
    }

    #[test]
    fn pcapng_frames_use_their_interface_link_type_and_clock() {
        let packet = raw_ipv4_udp(b"ng");
        let file = pcapng_file(&[
            pcapng_interface(DataLink::RAW, Vec::new()),
            pcapng_interface(DataLink::IPV4, vec![InterfaceDescriptionOption::IfTsResol(9)]),
            pcapng_packet(0, 1_500_000, &packet),
            pcapng_packet(1, 1_500_000, &packet),
            Block::SimplePacket(SimplePacketBlock {
                original_len: packet.len() as u32,
                data: Cow::Borrowed(&packet),
            }),
        ]);
        let frames = parse_frames(&file).unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!((frames[0].link_type, frames[0].timestamp), (LinkType::RAW, Duration::from_millis(1500)));
        assert_eq!((frames[1].link_type, frames[1].timestamp), (LinkType::IPV4, Duration::from_micros(1500)));
        assert_eq!(frames[2].number, 3);
        // The simple packet block is padded to 4 bytes; the frame is not.
        assert_eq!(frames[2].data, packet);
        assert!(frames.iter().all(|frame| frame.payload() == Some(&b"ng"[..])));
    }

    #[test]
    fn pcapng_packet_of_an_undescribed_interface_is_an_error() {
        let packet = raw_ipv4_udp(b"");
        let mut file =
            pcapng_file(&[pcapng_interface(DataLink::RAW, Vec::new()), pcapng_packet(0, 0, &packet)]);
        // pcap-file refuses to write a dangling interface id, so patch it in: the packet block
        // is last, its length is in its trailer, and the id follows type and length.
        let trailer = file.len() - 4;
        let block_len = u32::from_le_bytes(file[trailer..].try_into().unwrap()) as usize;
        let block_start = file.len() - block_len;
        file[block_start + 8..block_start + 12].copy_from_slice(&3u32.to_le_bytes());
        let error = parse_frames(&file).unwrap_err();
        assert!(matches!(error.kind, CaptureErrorKind::UnknownInterface(3)));
        assert_eq!((error.frame, error.offset), (Some(1), block_start as u64));
    }

    fn clock(resolution: u8) -> InterfaceClock {
        InterfaceClock { resolution, offset_secs: 0 }
    }

    #[test]
    fn pcapng_default_resolution_is_microseconds() {
        assert_eq!(clock(6).time(1_500_000_250), Some(Duration::new(1500, 250_000)));
    }

    #[test]
    fn pcapng_nanosecond_and_binary_resolutions() {
        assert_eq!(clock(9).time(2_000_000_001), Some(Duration::new(2, 1)));
        // 2^-10 s per tick: 1536 ticks are 1.5 s.
        assert_eq!(clock(0x80 | 10).time(1536), Some(Duration::new(1, 500_000_000)));
        // Finer than nanoseconds: 10^-12 s per tick.
        assert_eq!(clock(12).time(3_000_000_000_500), Some(Duration::new(3, 0)));
    }

    #[test]
    fn pcapng_resolution_beyond_u128_is_refused() {
        assert_eq!(clock(39).time(1), None);
        assert!(clock(0x80 | 127).time(u64::MAX).is_some());
    }

    #[test]
    fn pcapng_offset_is_added() {
        let clock = InterfaceClock { resolution: 6, offset_secs: 100 };
        assert_eq!(clock.time(1_000_000), Some(Duration::from_secs(101)));
    }
}
