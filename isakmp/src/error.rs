//! Parse and emit errors.
//!
//! A parse error names the absolute byte offset in the datagram, the field or
//! structure at fault, and (when known) the payload it was found in, so that
//! the engine can answer with the Notify type RFC 2408 section 5 prescribes.

use core::fmt;

use crate::numbers::{NotifyType, PayloadType};

/// Why a datagram could not be parsed, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Offset of the offending byte from the start of the parsed input.
    pub offset: usize,
    pub kind: ErrorKind,
    /// The payload being parsed when the error occurred, if any.
    pub payload: Option<PayloadType>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input ended before a field was complete.
    Truncated { field: &'static str, needed: usize, available: usize },
    /// A length field claims fewer bytes than its own fixed part.
    LengthTooSmall { field: &'static str, length: usize, minimum: usize },
    /// The ISAKMP header length differs from the datagram length (RFC 2408 5.1).
    UnequalLengths { header: u32, datagram: usize },
    /// Bytes left over after a structure that must fill its container.
    TrailingBytes { structure: &'static str, count: usize },
    /// A count field disagrees with what follows it.
    CountMismatch { field: &'static str, declared: usize, found: usize },
    /// A sub-payload chain (proposals, transforms) names a type it cannot hold.
    BadChain { structure: &'static str, next_payload: u8 },
    /// A field whose value makes the rest unparseable.
    InvalidValue { field: &'static str, value: u32 },
    /// An identification whose data does not fit its type (RFC 2407 4.6.2).
    BadIdentification { id_type: u8, length: usize },
    /// A padding field that must be zero is not (RFC 2407 4.6.1).
    NonZeroPadding { field: &'static str },
}

impl Error {
    pub fn new(offset: usize, kind: ErrorKind) -> Self {
        Self { offset, kind, payload: None }
    }

    /// Records the payload being parsed, keeping the innermost one.
    pub fn within(mut self, payload: PayloadType) -> Self {
        self.payload.get_or_insert(payload);
        self
    }

    /// The Notify message type RFC 2408 section 5 associates with this error.
    pub fn notify_type(&self) -> NotifyType {
        match (&self.kind, self.payload) {
            (ErrorKind::UnequalLengths { .. }, _) => NotifyType::UNEQUAL_PAYLOAD_LENGTHS,
            (ErrorKind::BadIdentification { .. }, _) => NotifyType::INVALID_ID_INFORMATION,
            // 5.4-5.6: errors inside SA, Proposal and Transform payloads.
            (_, Some(PayloadType::SA)) => NotifyType::BAD_PROPOSAL_SYNTAX,
            (_, Some(PayloadType::ID)) => NotifyType::INVALID_ID_INFORMATION,
            _ => NotifyType::PAYLOAD_MALFORMED,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: ", self.offset)?;
        if let Some(payload) = self.payload {
            write!(f, "in {} payload: ", payload)?;
        }
        match &self.kind {
            ErrorKind::Truncated { field, needed, available } => {
                write!(f, "{field} needs {needed} bytes, only {available} left")
            }
            ErrorKind::LengthTooSmall { field, length, minimum } => {
                write!(f, "{field} is {length}, less than the minimum {minimum}")
            }
            ErrorKind::UnequalLengths { header, datagram } => {
                write!(f, "header length {header} but the datagram holds {datagram} bytes")
            }
            ErrorKind::TrailingBytes { structure, count } => {
                write!(f, "{count} unexpected bytes after the {structure}")
            }
            ErrorKind::CountMismatch { field, declared, found } => {
                write!(f, "{field} says {declared} but {found} follow")
            }
            ErrorKind::BadChain { structure, next_payload } => {
                write!(f, "{structure} chain continues with payload type {next_payload}")
            }
            ErrorKind::InvalidValue { field, value } => write!(f, "invalid {field} {value}"),
            ErrorKind::BadIdentification { id_type, length } => {
                write!(f, "identification type {id_type} cannot be {length} bytes long")
            }
            ErrorKind::NonZeroPadding { field } => write!(f, "{field} padding is not zero"),
        }
    }
}

impl std::error::Error for Error {}

/// Why a message model could not be written to the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmitError {
    /// A field is longer than its length field can express.
    TooLong { field: &'static str, length: usize, maximum: usize },
    /// The model contradicts itself (e.g. the E flag and a plaintext body).
    Inconsistent { what: &'static str },
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::TooLong { field, length, maximum } => {
                write!(f, "{field} is {length} long, more than the {maximum} its length field allows")
            }
            EmitError::Inconsistent { what } => write!(f, "inconsistent message: {what}"),
        }
    }
}

impl std::error::Error for EmitError {}
