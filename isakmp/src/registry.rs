//! Open registries: a newtype over the wire number with named constants.
//!
//! IANA keeps adding numbers and peers send private-use ones, so a closed Rust
//! enum would lose information. An open registry keeps every value: known
//! numbers print with their registered name, unknown ones print as numbers and
//! survive a parse/emit round trip untouched.

/// Declares an open registry type.
///
/// ```text
/// open_registry! {
///     /// RFC 2408 3.1
///     pub struct ExchangeType(u8) {
///         IDENTITY_PROTECTION = 2 => "Identity Protection (Main Mode)",
///     }
/// }
/// ```
macro_rules! open_registry {
    (
        $(#[$meta:meta])*
        pub struct $name:ident($repr:ty) {
            $( $(#[$const_meta:meta])* $constant:ident = $value:literal => $label:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub struct $name(pub $repr);

        impl $name {
            $( $(#[$const_meta])* pub const $constant: Self = Self($value); )*

            /// The registered name of this number, if it has one.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($label), )*
                    _ => None,
                }
            }

            /// The number as carried on the wire.
            pub const fn value(self) -> $repr {
                self.0
            }

            /// `Name (n)` for a registered value, `n` otherwise: how a field tree shows it.
            pub fn labelled(self) -> String {
                match self.name() {
                    Some(label) => format!("{} ({})", label, self.0),
                    None => self.0.to_string(),
                }
            }

            /// Every registered value, in declaration order.
            pub const KNOWN: &'static [Self] = &[ $( Self($value), )* ];
        }

        impl From<$repr> for $name {
            fn from(value: $repr) -> Self {
                Self(value)
            }
        }

        impl From<$name> for $repr {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        /// The registered name, or the bare number for an unregistered value.
        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(label) => f.write_str(label),
                    None => write!(f, "{}", self.0),
                }
            }
        }

        /// `NAME(n)`, so a test failure shows both the name and the number.
        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(label) => write!(f, "{}({})", label, self.0),
                    None => write!(f, "{}({})", stringify!($name), self.0),
                }
            }
        }
    };
}

pub(crate) use open_registry;
