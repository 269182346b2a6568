//! MQTT 5 property lists: a checked zero-copy view over received bytes
//! ([`Properties`]) and a writer into the caller's buffer
//! ([`PropertyBuilder`]).

use super::property::{Context, Kind, PropertyId, Role, Value};
use crate::codec::{
    add_len, check_sent_utf8, check_topic_name, utf8_str, varint_len, Reader, Writer,
    MAX_REMAINING_LEN,
};
use crate::error::{Error, PropertyError, ProtocolError};

/// A property list that has been checked for one packet (every property
/// known, allowed there, well formed, repeated only where the spec allows).
/// Borrowed from a received frame or from a [`PropertyBuilder`]'s buffer;
/// holds the bytes after the property-length varint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Properties<'a> {
    bytes: &'a [u8],
}

/// Read one property; every failure is `MalformedProperty` (a truncated
/// value, an unknown identifier, a string that is not MQTT UTF-8).
fn read_one<'a>(r: &mut Reader<'a>) -> Result<(PropertyId, Value<'a>), ProtocolError> {
    let bad = |_| ProtocolError::MalformedProperty;
    // The identifier is a varint, but every MQTT 5 id is below 128, so a
    // valid one is a single byte (and 1.5.5-1 forbids padded varints).
    let id = PropertyId::from_u8(r.u8().map_err(bad)?).ok_or(ProtocolError::MalformedProperty)?;
    let utf8 = |s: &'a [u8]| utf8_str(s).map_err(|_| ProtocolError::MalformedProperty);
    let value = match id.kind() {
        Kind::Byte => Value::Int(r.u8().map_err(bad)?.into()),
        Kind::TwoByte => Value::Int(r.u16().map_err(bad)?.into()),
        Kind::FourByte => {
            let b = r.take(4).map_err(bad)?;
            let mut a = [0u8; 4];
            a.copy_from_slice(b);
            Value::Int(u32::from_be_bytes(a))
        }
        // A varint is below 2^28, so it fits.
        Kind::VarInt => Value::Int(minimal_varint(r)? as u32),
        Kind::Utf8 => Value::Str(utf8(r.str().map_err(bad)?)?),
        Kind::Binary => Value::Binary(r.str().map_err(bad)?),
        Kind::Utf8Pair => {
            let k = utf8(r.str().map_err(bad)?)?;
            let v = utf8(r.str().map_err(bad)?)?;
            Value::Pair(k, v)
        }
    };
    Ok((id, value))
}

/// A varint in its shortest form (1.5.5-1); a padded one is malformed.
fn minimal_varint(r: &mut Reader<'_>) -> Result<usize, ProtocolError> {
    let before = r.remaining();
    let v = r.varint().map_err(|_| ProtocolError::MalformedProperty)?;
    if before.saturating_sub(r.remaining()) != varint_len(v) {
        return Err(ProtocolError::MalformedProperty);
    }
    Ok(v)
}

/// 3.3.2-14: a response topic is a topic name (no wildcards, not empty;
/// what a string the user gives may not hold is `push`'s check).
fn response_topic_ok(id: PropertyId, t: &str) -> bool {
    id != PropertyId::ResponseTopic || check_topic_name(t.as_bytes()).is_ok()
}

/// 3.1.2.11.10, 3.2.2.3.18: authentication data needs a method.
fn data_without_method(seen: u64) -> bool {
    let has = |p: PropertyId| seen & (1u64 << (p as u8)) != 0;
    has(PropertyId::AuthenticationData) && !has(PropertyId::AuthenticationMethod)
}

/// Record `id` in the seen-set; false if it was there and may not repeat.
fn mark(seen: &mut u64, id: PropertyId, ctx: Context) -> bool {
    let bit = 1u64 << (id as u8 & 63);
    if *seen & bit != 0 && !id.repeatable(ctx) {
        return false;
    }
    *seen |= bit;
    true
}

impl<'a> Properties<'a> {
    /// No properties (valid on every packet).
    pub const EMPTY: Properties<'static> = Properties { bytes: &[] };

    /// Check `bytes` (a property list without its length prefix) as sent
    /// by `sender` in `ctx`. Errors carry the reason code to disconnect
    /// with ([`ProtocolError::reason_code`]): a malformed or misplaced
    /// property is 0x81 (sec 2.2.2.2), a repeated one or a forbidden value
    /// 0x82, topic alias 0 is 0x94 (3.3.2.3.4).
    pub fn parse(bytes: &'a [u8], ctx: Context, sender: Role) -> Result<Self, ProtocolError> {
        let mut r = Reader::new(bytes);
        let mut seen = 0u64;
        while !r.is_empty() {
            let (id, value) = read_one(&mut r)?;
            if !id.allowed(ctx, sender) {
                return Err(ProtocolError::MalformedProperty);
            }
            if !mark(&mut seen, id, ctx) {
                return Err(ProtocolError::DuplicateProperty);
            }
            match value {
                Value::Int(v) if id.check_int(v).is_err() => {
                    return Err(match id {
                        PropertyId::TopicAlias => ProtocolError::TopicAliasInvalid,
                        _ => ProtocolError::InvalidPropertyValue,
                    });
                }
                Value::Str(t) if !response_topic_ok(id, t) => {
                    return Err(ProtocolError::InvalidPropertyValue)
                }
                _ => {}
            }
        }
        if data_without_method(seen) {
            return Err(ProtocolError::InvalidPropertyValue);
        }
        Ok(Properties { bytes })
    }

    /// Read the property length and the list from a packet body.
    pub(crate) fn read(
        r: &mut Reader<'a>,
        ctx: Context,
        sender: Role,
    ) -> Result<Self, ProtocolError> {
        let len = minimal_varint(r)?;
        let bytes = r.take(len).map_err(|_| ProtocolError::MalformedProperty)?;
        Properties::parse(bytes, ctx, sender)
    }

    /// Properties checked before (the bytes of a [`Properties::parse`]
    /// result, kept for later).
    pub(crate) const fn from_checked(bytes: &'a [u8]) -> Self {
        Properties { bytes }
    }

    /// The encoded list (without the length prefix).
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// True when there are no properties.
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The properties in wire order.
    pub fn iter(&self) -> PropIter<'a> {
        PropIter {
            r: Reader::new(self.bytes),
        }
    }

    /// The first value of `id`.
    pub fn get(&self, id: PropertyId) -> Option<Value<'a>> {
        self.iter().find(|(p, _)| *p == id).map(|(_, v)| v)
    }

    /// The first value of an integer property.
    pub fn get_int(&self, id: PropertyId) -> Option<u32> {
        match self.get(id)? {
            Value::Int(v) => Some(v),
            _ => None,
        }
    }

    /// The first value of a string property.
    pub fn get_str(&self, id: PropertyId) -> Option<&'a str> {
        match self.get(id)? {
            Value::Str(v) => Some(v),
            _ => None,
        }
    }

    /// The first value of a binary property.
    pub fn get_binary(&self, id: PropertyId) -> Option<&'a [u8]> {
        match self.get(id)? {
            Value::Binary(v) => Some(v),
            _ => None,
        }
    }

    /// User properties (name, value) in order, repeats kept.
    pub fn user_properties(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.iter().filter_map(|(_, v)| match v {
            Value::Pair(k, v) => Some((k, v)),
            _ => None,
        })
    }

    /// Every subscription identifier (a PUBLISH can carry several).
    pub fn subscription_identifiers(&self) -> impl Iterator<Item = u32> + 'a {
        self.iter().filter_map(|(p, v)| match (p, v) {
            (PropertyId::SubscriptionIdentifier, Value::Int(n)) => Some(n),
            _ => None,
        })
    }

    /// Bytes on the wire: the length varint plus the list.
    pub(crate) fn wire_len(&self) -> Result<usize, Error> {
        add_len(varint_len(self.bytes.len()), self.bytes.len())
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.put_varint(self.bytes.len())?;
        w.put_bytes(self.bytes)
    }
}

/// Iterator over a checked property list.
#[derive(Debug, Clone)]
pub struct PropIter<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for PropIter<'a> {
    type Item = (PropertyId, Value<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        // The list was checked, so reading cannot fail; stop if it does.
        read_one(&mut self.r).ok()
    }
}

/// Builds a property list for one packet into a caller buffer, checking
/// each property as it is added (a binding loops over a Python dict and
/// pushes each item). Nothing is written for a refused property.
#[derive(Debug)]
pub struct PropertyBuilder<'b> {
    buf: &'b mut [u8],
    len: usize,
    ctx: Context,
    sender: Role,
    seen: u64,
}

fn value_len(v: &Value<'_>, kind: Kind) -> usize {
    match (v, kind) {
        (Value::Int(_), Kind::Byte) => 1,
        (Value::Int(_), Kind::TwoByte) => 2,
        (Value::Int(n), Kind::VarInt) => varint_len(*n as usize),
        (Value::Int(_), _) => 4,
        (Value::Str(s), _) => s.len().saturating_add(2),
        (Value::Binary(b), _) => b.len().saturating_add(2),
        (Value::Pair(k, v), _) => k.len().saturating_add(v.len()).saturating_add(4),
    }
}

/// A property value as a dynamically typed language hands it over
/// ([`PropertyBuilder::push_dynamic`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dynamic<'a> {
    /// An integer of any size.
    Int(i64),
    /// A value of one of the property types.
    Value(Value<'a>),
    /// Anything else.
    Other,
}

/// Encode the properties `items` (name, value as a binding carries it) of
/// a packet of `ctx` that a client sends into `buf`; returns the length. A
/// name that is not UTF-8 is unknown. The same call sizes the buffer: when
/// `buf` is shorter than the items' [`Flat::room`] together (at most the
/// largest packet), nothing is checked and the error is
/// `BufferTooSmall { needed }` (so a binding calls with an empty buffer,
/// allocates `needed` bytes, calls again). Errors of the items:
/// [`PropertyBuilder::push_flat`]'s; then the rules across them
/// ([`PropertyBuilder::validate`]: authentication data needs a method).
pub fn encode_flat<'i, I>(items: I, ctx: Context, buf: &mut [u8]) -> Result<usize, Error>
where
    I: Iterator<Item = (&'i [u8], Flat<'i>)> + Clone,
{
    encode_flat_with_auth(items, ctx, 0, buf)
}

/// [`encode_flat`] for the CONNECT of a client with `set_auth()`: the last
/// `n_auth` items (their names are not looked at) are its method and, when
/// given, its data. They take the place of the items of those names, so
/// `set_auth()` wins over `connect(properties=...)`; without data an
/// item's `authentication_data` stays.
pub fn encode_flat_with_auth<'i, I>(
    items: I,
    ctx: Context,
    n_auth: usize,
    buf: &mut [u8],
) -> Result<usize, Error>
where
    I: Iterator<Item = (&'i [u8], Flat<'i>)> + Clone,
{
    let names = [
        PropertyId::AuthenticationMethod.name(),
        PropertyId::AuthenticationData.name(),
    ];
    let replaced = names.get(..n_auth).unwrap_or(&names);
    let first_auth = if n_auth == 0 {
        usize::MAX
    } else {
        items.clone().count().saturating_sub(n_auth)
    };
    // The name an item is encoded under, None: left out.
    let name_of = |i: usize, name: &'i [u8]| match i.checked_sub(first_auth) {
        Some(k) => names.get(k).copied(),
        None => {
            let name = core::str::from_utf8(name).unwrap_or("");
            (!replaced.contains(&name)).then_some(name)
        }
    };
    let mut needed = 0usize;
    for (i, (name, v)) in items.clone().enumerate() {
        if name_of(i, name).is_some() {
            needed = needed.saturating_add(v.room());
        }
    }
    let needed = needed.min(MAX_REMAINING_LEN);
    if buf.len() < needed {
        return Err(Error::BufferTooSmall { needed });
    }
    let mut b = PropertyBuilder::new(buf, ctx, Role::Client);
    for (i, (name, value)) in items.enumerate() {
        if let Some(name) = name_of(i, name) {
            b.push_flat(name, value)?;
        }
    }
    b.validate()?;
    Ok(b.len())
}

/// A property value as a C binding carries it (`mpy_module/c/props.h`): a
/// kind code ([`Flat::INT`], [`Flat::STR`], [`Flat::BYTES`], [`Flat::PAIR`],
/// [`Flat::EMPTY`]; any other is a value of a type no property has), an
/// integer, up to two byte strings, and whether it is an item of a list in
/// the caller's dict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flat<'a> {
    /// What the value is.
    pub kind: i32,
    /// `INT`: the integer, of any size.
    pub num: i64,
    /// `STR`, `BYTES`: the value; `PAIR`: the name.
    pub a: &'a [u8],
    /// `PAIR`: the value.
    pub b: &'a [u8],
    /// The value is one item of a list (`{"user_property": [(k, v), ...]}`),
    /// which only a property that may be repeated takes.
    pub listed: bool,
}

impl<'a> Flat<'a> {
    /// An integer in `num`.
    pub const INT: i32 = 0;
    /// A UTF-8 string in `a`.
    pub const STR: i32 = 1;
    /// Binary data in `a`.
    pub const BYTES: i32 = 2;
    /// A user property: UTF-8 name in `a`, UTF-8 value in `b`.
    pub const PAIR: i32 = 3;
    /// A value of a type no property has.
    pub const OTHER: i32 = 4;
    /// No value: the list was empty (`listed`), so the property is named
    /// but not sent.
    pub const EMPTY: i32 = 5;

    /// A value from its parts, as a binding's item carries them.
    pub const fn new(kind: i32, num: i64, a: &'a [u8], b: &'a [u8], listed: bool) -> Self {
        Flat {
            kind,
            num,
            a,
            b,
            listed,
        }
    }

    /// The most bytes this value takes as a property: the identifier and
    /// the longest integer or the length prefixes (8 together at most),
    /// and the text or data.
    pub const fn room(&self) -> usize {
        self.a.len().saturating_add(self.b.len()).saturating_add(8)
    }

    /// What [`PropertyBuilder::push_dynamic`] takes: text that is not
    /// UTF-8, or an unknown kind, is [`Dynamic::Other`] (`WrongType`).
    pub fn dynamic(self) -> Dynamic<'a> {
        let text = core::str::from_utf8;
        match (self.kind, text(self.a), text(self.b)) {
            (Self::INT, ..) => Dynamic::Int(self.num),
            (Self::STR, Ok(s), _) => Dynamic::Value(Value::Str(s)),
            (Self::BYTES, ..) => Dynamic::Value(Value::Binary(self.a)),
            (Self::PAIR, Ok(k), Ok(v)) => Dynamic::Value(Value::Pair(k, v)),
            _ => Dynamic::Other,
        }
    }
}

impl<'a> From<Value<'a>> for Flat<'a> {
    fn from(v: Value<'a>) -> Self {
        let none: &[u8] = &[];
        let (kind, num, a, b) = match v {
            Value::Int(n) => (Self::INT, i64::from(n), none, none),
            Value::Str(s) => (Self::STR, 0, s.as_bytes(), none),
            Value::Binary(b) => (Self::BYTES, 0, b, none),
            Value::Pair(k, v) => (Self::PAIR, 0, k.as_bytes(), v.as_bytes()),
        };
        Flat::new(kind, num, a, b, false)
    }
}

impl<'b> PropertyBuilder<'b> {
    /// Start an empty list for `ctx`, sent by `sender` (a client builds
    /// with [`Role::Client`]).
    pub fn new(buf: &'b mut [u8], ctx: Context, sender: Role) -> Self {
        PropertyBuilder {
            buf,
            len: 0,
            ctx,
            sender,
            seen: 0,
        }
    }

    /// Add a property by its snake_case name.
    pub fn push_named(&mut self, name: &str, value: Value<'_>) -> Result<(), Error> {
        let id = PropertyId::from_name(name).ok_or(PropertyError::UnknownName)?;
        self.push(id, value)
    }

    /// [`Self::push_named`] for a dynamically typed binding: an integer of
    /// any size (past `u32`: `OutOfRange`), or a value of a type no property
    /// has (`WrongType`; an unknown name is refused as unknown whatever the
    /// value).
    pub fn push_dynamic(&mut self, name: &str, value: Dynamic<'_>) -> Result<(), Error> {
        let id = PropertyId::from_name(name).ok_or(PropertyError::UnknownName)?;
        match value {
            Dynamic::Int(n) => {
                let n = u32::try_from(n).map_err(|_| PropertyError::OutOfRange)?;
                self.push(id, Value::Int(n))
            }
            Dynamic::Value(v) => self.push(id, v),
            Dynamic::Other => Err(PropertyError::WrongType.into()),
        }
    }

    /// [`Self::push_dynamic`] for one item of a binding's properties dict.
    /// A list value is several values of a property that may be repeated
    /// in this packet ([`PropertyId::repeatable`]); for any other property
    /// a list, even of one value or none, is `WrongType`. An empty list
    /// ([`Flat::EMPTY`]) adds nothing.
    pub fn push_flat(&mut self, name: &str, value: Flat<'_>) -> Result<(), Error> {
        if value.listed {
            let id = PropertyId::from_name(name).ok_or(PropertyError::UnknownName)?;
            if !id.allowed(self.ctx, self.sender) {
                return Err(PropertyError::NotAllowed.into());
            }
            if !id.repeatable(self.ctx) {
                return Err(PropertyError::WrongType.into());
            }
            if value.kind == Flat::EMPTY {
                return Ok(());
            }
        }
        self.push_dynamic(name, value.dynamic())
    }

    /// Add a property. Errors: `NotAllowed` on this packet, `WrongType`,
    /// `OutOfRange` (width or spec range), `InvalidString`, `Repeated`,
    /// `BufferTooSmall`.
    pub fn push(&mut self, id: PropertyId, value: Value<'_>) -> Result<(), Error> {
        if !id.allowed(self.ctx, self.sender) {
            return Err(PropertyError::NotAllowed.into());
        }
        let kind = id.kind();
        if !kind.accepts(&value) {
            return Err(PropertyError::WrongType.into());
        }
        let bad_str = |s: &str| check_sent_utf8(s.as_bytes()).is_err();
        match value {
            Value::Int(v) if id.check_int(v).is_err() => {
                return Err(PropertyError::OutOfRange.into())
            }
            Value::Str(s) if bad_str(s) || !response_topic_ok(id, s) => {
                return Err(PropertyError::InvalidString.into())
            }
            Value::Pair(k, v) if bad_str(k) || bad_str(v) => {
                return Err(PropertyError::InvalidString.into())
            }
            Value::Binary(b) if b.len() > usize::from(u16::MAX) => {
                return Err(PropertyError::InvalidString.into())
            }
            _ => {}
        }
        let mut seen = self.seen;
        if !mark(&mut seen, id, self.ctx) {
            return Err(PropertyError::Repeated.into());
        }
        let need = value_len(&value, kind).saturating_add(1);
        let end = self.len.saturating_add(need);
        if end > MAX_REMAINING_LEN {
            return Err(crate::ArgError::PacketTooLarge.into());
        }
        let dst = self
            .buf
            .get_mut(self.len..end)
            .ok_or(Error::BufferTooSmall { needed: end })?;
        let mut w = Writer::new(dst);
        w.put_u8(id as u8)?;
        // Narrowing is safe: check_int bounded the value by the kind's width.
        match (value, kind) {
            (Value::Int(v), Kind::Byte) => w.put_u8(v as u8)?,
            (Value::Int(v), Kind::TwoByte) => w.put_u16(v as u16)?,
            (Value::Int(v), Kind::VarInt) => w.put_varint(v as usize)?,
            (Value::Int(v), _) => w.put_bytes(&v.to_be_bytes())?,
            (Value::Str(s), _) => w.put_str(s.as_bytes())?,
            (Value::Binary(b), _) => w.put_str(b)?,
            (Value::Pair(k, v), _) => {
                w.put_str(k.as_bytes())?;
                w.put_str(v.as_bytes())?;
            }
        }
        self.seen = seen;
        self.len = end;
        Ok(())
    }

    /// Bytes used so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Rules across properties, for a binding to call before
    /// [`PropertyBuilder::finish`]: `DataWithoutMethod`.
    pub fn validate(&self) -> Result<(), Error> {
        if data_without_method(self.seen) {
            return Err(PropertyError::DataWithoutMethod.into());
        }
        Ok(())
    }

    /// The finished list, borrowing the buffer.
    pub fn finish(self) -> Properties<'b> {
        let bytes: &'b [u8] = self.buf;
        Properties {
            bytes: bytes.get(..self.len).unwrap_or_default(),
        }
    }
}
