//! Closed sets of names (paths, engines, patterns, policies …) as enums.
//!
//! One macro gives every such enum the same four things: the text form used in TOML, JSON and file
//! names (`as_str`), serde in both directions (an unknown name is serde's `unknown variant` error,
//! which lists the valid names so `diag` can suggest the closest), and a JSON Schema `enum`.
//! [`Setting`] adds the `"auto"` choice in front of such a set. No I/O here.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer};
use serde::ser::Serializer;

/// A closed set of names.
pub trait Named: Copy + Eq + 'static {
    /// Every member, in the order the documentation lists them.
    const ALL: &'static [Self];
    /// The one spelling used in files and output.
    fn as_str(self) -> &'static str;
    /// The member spelled `text`, if any.
    fn from_name(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == text)
    }
    /// Every spelling, in order.
    fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.as_str()).collect()
    }
}

/// Defines an enum whose members have fixed spellings, with `Named`, `Display`, serde and schema.
macro_rules! named_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $crate::names::Named for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::names::Named::as_str(*self))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::names::serialize_named(*self, s)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::names::deserialize_named(d, false)
                    .map(|v| match v { $crate::names::Setting::Is(v) => v, $crate::names::Setting::Auto => unreachable!("auto is not accepted here") })
            }
        }

        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                $crate::names::enum_schema(&<$name as $crate::names::Named>::names())
            }
        }
    };
}
pub(crate) use named_enum;

/// A value the user may leave to rediform (`"auto"`) or fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting<T> {
    /// rediform chooses (the documented default).
    Auto,
    /// The user's choice.
    Is(T),
}

impl<T: Named> Setting<T> {
    /// `"auto"` or the member's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::Auto => "auto",
            Setting::Is(v) => v.as_str(),
        }
    }

    /// The fixed value, if the user chose one.
    pub fn fixed(self) -> Option<T> {
        match self {
            Setting::Auto => None,
            Setting::Is(v) => Some(v),
        }
    }
}

impl<T: Named> fmt::Display for Setting<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<T: Named> serde::Serialize for Setting<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de, T: Named> serde::Deserialize<'de> for Setting<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_named(d, true)
    }
}

impl<T: Named + JsonSchema> JsonSchema for Setting<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}OrAuto", T::schema_name()).into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut names = vec!["auto"];
        names.extend(T::names());
        enum_schema(&names)
    }
}

pub(crate) fn serialize_named<T: Named, S: Serializer>(value: T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.as_str())
}

/// Reads a name; an unknown one is serde's `unknown variant` error with every valid name listed.
pub(crate) fn deserialize_named<'de, T: Named, D: Deserializer<'de>>(
    d: D,
    allow_auto: bool,
) -> Result<Setting<T>, D::Error> {
    struct NameVisitor<T>(bool, std::marker::PhantomData<T>);

    impl<T: Named> de::Visitor<'_> for NameVisitor<T> {
        type Value = Setting<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            if self.0 && text == "auto" {
                return Ok(Setting::Auto);
            }
            if let Some(v) = T::from_name(text) {
                return Ok(Setting::Is(v));
            }
            let mut names: Vec<&'static str> = if self.0 { vec!["auto"] } else { Vec::new() };
            names.extend(T::names());
            // serde wants a 'static slice of names; leaking this short list once per error is fine.
            let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
            Err(E::unknown_variant(text, names))
        }
    }

    d.deserialize_str(NameVisitor(allow_auto, std::marker::PhantomData))
}

pub(crate) fn enum_schema(names: &[&str]) -> Schema {
    let value = serde_json::json!({ "type": "string", "enum": names });
    Schema::try_from(value).expect("a JSON object is a valid schema")
}

named_enum! {
    /// One of the four AWS deployment paths (SPEC §2: the identifiers used everywhere).
    pub enum PathId {
        Memorydb = "memorydb",
        Serverless = "serverless",
        Elasticache = "elasticache",
        SelfHosted = "self-hosted",
    }
}

named_enum! {
    /// The cache engine that runs.
    pub enum Engine {
        Valkey = "valkey",
        Redis = "redis",
        Memcached = "memcached",
    }
}

named_enum! {
    /// Which prices the comparisons and guards use (issue #13): list prices, or 1-year
    /// reservations the organisation buys.
    pub enum Pricing {
        OnDemand = "on-demand",
        Reserved1y = "reserved-1y",
    }
}

named_enum! {
    /// The traffic shape (SPEC §4 Q2).
    pub enum Pattern {
        Steady = "steady",
        Bursty = "bursty",
        Intermittent = "intermittent",
    }
}

named_enum! {
    /// `maxmemory-policy` values (aws-facts §3.2).
    pub enum MaxmemoryPolicy {
        VolatileLru = "volatile-lru",
        AllkeysLru = "allkeys-lru",
        VolatileLfu = "volatile-lfu",
        AllkeysLfu = "allkeys-lfu",
        VolatileRandom = "volatile-random",
        AllkeysRandom = "allkeys-random",
        VolatileTtl = "volatile-ttl",
        Noeviction = "noeviction",
    }
}

named_enum! {
    /// The deployment environment.
    pub enum Environment {
        Prod = "prod",
        Staging = "staging",
        Dev = "dev",
    }
}

named_enum! {
    /// Data types and features the workload uses (SPEC §3 `data.types`).
    pub enum DataType {
        Strings = "strings",
        Hashes = "hashes",
        Lists = "lists",
        Sets = "sets",
        SortedSets = "sorted-sets",
        Streams = "streams",
        Pubsub = "pubsub",
        Lua = "lua",
        Json = "json",
        Search = "search",
        Vector = "vector",
    }
}

impl Engine {
    /// The name a person reads ("Valkey", "Redis OSS", "Memcached").
    pub fn display_name(self) -> &'static str {
        match self {
            Engine::Valkey => "Valkey",
            Engine::Redis => "Redis OSS",
            Engine::Memcached => "Memcached",
        }
    }
}

impl PathId {
    /// The name a person reads.
    pub fn display_name(self) -> &'static str {
        match self {
            PathId::Memorydb => "MemoryDB",
            PathId::Serverless => "ElastiCache Serverless",
            PathId::Elasticache => "ElastiCache node-based",
            PathId::SelfHosted => "self-hosted Valkey on EC2",
        }
    }
}

impl MaxmemoryPolicy {
    /// Policies that may evict keys without a TTL.
    pub fn evicts_keys_without_ttl(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::AllkeysLru | MaxmemoryPolicy::AllkeysLfu | MaxmemoryPolicy::AllkeysRandom
        )
    }
}
