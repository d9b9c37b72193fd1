//! The two shapes every string in the vocabulary takes, written once.
//!
//! A protocol value that is just text on the wire (a client id, a scope)
//! still deserves its own type: the compiler then keeps a tenant id from
//! being passed where a client id belongs. A secret (a client secret, an
//! assertion) gets a type whose `Debug` never shows the value, so a
//! `{:?}` in a log line or a failed `assert!` cannot leak it.

/// Declares a public newtype over `String` for a protocol value that is
/// not secret: compared, hashed, ordered and (de)serialized as the plain
/// string it wraps, and printed by `Debug` and `Display`.
macro_rules! string_newtype {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[derive(
            Clone, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Wraps `value` as a `", stringify!($name), "`, exactly as given.")]
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The value as it is written on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value as an owned `String`.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                $name(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name(value.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

/// Declares a public newtype over `String` for a secret: its `Debug`
/// prints the type name and `[redacted]`, it has no `Display`, and the
/// value comes out only through the explicit `secret()`/`into_secret()`.
macro_rules! secret_newtype {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Wraps `value` as a `", stringify!($name), "`.")]
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The secret itself. Every call site is a place it can leak
            /// from: hand it to the wire and nowhere else.
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// The secret as an owned `String`, for the same single purpose.
            pub fn into_secret(self) -> String {
                self.0
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                $name(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name(value.to_owned())
            }
        }
    };
}
