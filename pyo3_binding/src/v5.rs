//! MQTT 5 properties between Python dicts and the core (spec/PYAPI.md
//! "MQTT 5"). The core's property table decides every rule (names, which
//! packet allows what, types, ranges, repeats); this file only maps Python
//! types to the core's values and back: `int` -> integer, `str` -> UTF-8
//! string, `bytes` -> binary data, a list of `(name, value)` pairs ->
//! user properties (and a list of ints -> subscription identifiers).
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use umqtt_core::client::{Op, Request};
use umqtt_core::codec::v5::{
    encode_flat_with_auth, Context, Flat, Properties, PropertyId, Role, SubFilter, SubOptions,
    Value,
};
use umqtt_core::{ArgError, Error, QoS};

use crate::convert::{to_bytes, to_filters};
use crate::drive::Meta;
use crate::errors::{to_pyerr, MQTTException};
use crate::MQTTClient;

/// A property list built from a dict, owning its encoded bytes.
pub struct PropBuf {
    bytes: Vec<u8>,
    ctx: Context,
}

impl PropBuf {
    /// The checked list (empty for None or `{}`).
    pub fn get(&self) -> Properties<'_> {
        if self.bytes.is_empty() {
            // Every publish of a 3.1.1 client: no parse.
            return Properties::EMPTY;
        }
        // The bytes came out of a PropertyBuilder: they parse.
        Properties::parse(&self.bytes, self.ctx, Role::Client).unwrap_or(Properties::EMPTY)
    }

    /// No properties, for a packet of `ctx`.
    pub fn empty(ctx: Context) -> Self {
        PropBuf {
            bytes: Vec::new(),
            ctx,
        }
    }
}

/// A property value of a dict, by its Python type; the core checks it for
/// the name.
enum Item<'py> {
    Int(i64),
    Str(Bound<'py, PyString>),
    Bytes(Bound<'py, PyBytes>),
    Pair(Bound<'py, PyString>, Bound<'py, PyString>),
    Other,
    /// An empty list.
    Empty,
}

impl<'py> Item<'py> {
    fn of(v: Bound<'py, PyAny>) -> Self {
        if let Ok(t) = v.cast::<PyTuple>() {
            return t.extract().map_or(Item::Other, |(k, v)| Item::Pair(k, v));
        }
        if v.is_instance_of::<pyo3::types::PyBool>() || v.is_instance_of::<pyo3::types::PyInt>() {
            // Booleans are ints in Python (request_problem_information=True).
            return Item::Int(v.extract().unwrap_or(i64::MAX));
        }
        match v.cast_into::<PyString>() {
            Ok(s) => Item::Str(s),
            // bytes, bytearray, memoryview (as for a message).
            Err(e) => to_bytes(&e.into_inner(), "properties").map_or(Item::Other, Item::Bytes),
        }
    }

    /// The value for the core; `listed`: it came in a list.
    fn flat(&self, listed: bool) -> PyResult<Flat<'_>> {
        let (kind, num, a, b): (_, _, &[u8], &[u8]) = match self {
            Item::Int(n) => (Flat::INT, *n, &[], &[]),
            Item::Str(s) => (Flat::STR, 0, s.to_str()?.as_bytes(), &[]),
            Item::Bytes(b) => (Flat::BYTES, 0, b.as_bytes(), &[]),
            Item::Pair(k, v) => (
                Flat::PAIR,
                0,
                k.to_str()?.as_bytes(),
                v.to_str()?.as_bytes(),
            ),
            Item::Other => (Flat::OTHER, 0, &[], &[]),
            Item::Empty => (Flat::EMPTY, 0, &[], &[]),
        };
        Ok(Flat::new(kind, num, a, b, listed))
    }
}

/// The properties of `obj` (a dict, None or `{}`) for a packet of `ctx`
/// sent by this client: a list value is several values of a repeatable
/// property (user properties; the core refuses a list, even of one value
/// or none, where the property may appear once). With `v5` false (a 3.1.1
/// client), a non-empty dict is the core's `PropertiesNeedV5` ValueError
/// (before its names and values are looked at, on every client).
pub fn from_py(obj: Option<&Bound<'_, PyAny>>, ctx: Context, v5: bool) -> PyResult<PropBuf> {
    with_auth(obj, ctx, v5, None)
}

/// [`from_py`] for the CONNECT after set_auth(): `auth` its (method,
/// data), which the core puts in place of the dict's (a data of None: the
/// dict's stays).
pub fn with_auth<'py>(
    obj: Option<&Bound<'py, PyAny>>,
    ctx: Context,
    v5: bool,
    auth: Option<(Bound<'py, PyAny>, Bound<'py, PyAny>)>,
) -> PyResult<PropBuf> {
    let auth: Vec<Item<'py>> = auth
        .into_iter()
        .flat_map(|(method, data)| [Some(method), Some(data).filter(|d| !d.is_none())])
        .flatten()
        .map(Item::of)
        .collect();
    let dict = match obj.filter(|o| !o.is_none()) {
        Some(o) => Some(
            o.cast::<PyDict>()
                .map_err(|_| PyTypeError::new_err("properties must be a dict or None"))?,
        ),
        None => None,
    };
    let dict = dict.filter(|d| !d.is_empty());
    if dict.is_none() && auth.is_empty() {
        return Ok(PropBuf::empty(ctx));
    }
    if !v5 {
        return Err(core_err(ArgError::PropertiesNeedV5.into()));
    }
    let mut owned = Vec::new();
    for (k, v) in dict.iter().flat_map(|d| d.iter()) {
        let name = k
            .cast_into::<PyString>()
            .map_err(|_| PyTypeError::new_err("property names must be str"))?;
        match v.cast_into::<PyList>() {
            Ok(list) if list.is_empty() => owned.push((name, Item::Empty, true)),
            Ok(list) => owned.extend(list.iter().map(|v| (name.clone(), Item::of(v), true))),
            Err(e) => owned.push((name, Item::of(e.into_inner()), false)),
        }
    }
    let items = owned
        .iter()
        .map(|(k, v, listed)| Ok((k.to_str()?.as_bytes(), v.flat(*listed)?)))
        // set_auth()'s last (their names are the core's).
        .chain(auth.iter().map(|v| Ok((&[][..], v.flat(false)?))))
        .collect::<PyResult<Vec<_>>>()?;
    // The core sizes the buffer, then encodes into it.
    let n_auth = auth.len();
    let encode = |buf: &mut [u8]| encode_flat_with_auth(items.iter().copied(), ctx, n_auth, buf);
    let mut buf = match encode(&mut []) {
        Err(Error::BufferTooSmall { needed }) => vec![0u8; needed],
        r => r.map(|_| Vec::new()).map_err(core_err)?,
    };
    let len = encode(&mut buf).map_err(core_err)?;
    buf.truncate(len);
    Ok(PropBuf { bytes: buf, ctx })
}

fn core_err(e: Error) -> PyErr {
    to_pyerr(e, None)
}

/// A received property list as a dict: integers as `int`, strings as
/// `str`, binary data as `bytes`; `user_property` a list of `(name, value)`
/// pairs in order, `subscription_identifier` a list of ints.
pub fn to_py<'py>(py: Python<'py>, p: Properties<'_>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (id, v) in p.iter() {
        let name = id.name();
        let value = match v {
            Value::Int(n) => n.into_pyobject(py)?.into_any(),
            Value::Str(s) => PyString::new(py, s).into_any(),
            Value::Binary(b) => PyBytes::new(py, b).into_any(),
            Value::Pair(k, v) => PyTuple::new(py, [k, v])?.into_any(),
        };
        if matches!(v, Value::Pair(..)) || id == PropertyId::SubscriptionIdentifier {
            match d.get_item(name)? {
                Some(list) => list.cast::<PyList>()?.append(value)?,
                None => d.set_item(name, PyList::new(py, [value])?)?,
            }
        } else {
            d.set_item(name, value)?;
        }
    }
    Ok(d)
}

/// `MQTTException(code, reason_string or None)` for an error the core
/// says carries the reason string of its packet
/// (`Connection::error_reason`: `reason`); other errors unchanged.
pub fn with_reason(err: PyErr, e: Error, reason: Option<Option<&str>>, py: Python<'_>) -> PyErr {
    match reason {
        Some(r) => {
            MQTTException::new_err((e.report().code, r.map(|r| PyString::new(py, r).unbind())))
        }
        None => err,
    }
}

/// subscribe()'s MQTT 5 subscription options.
#[derive(Clone, Copy)]
pub struct SubscribeOptions {
    pub no_local: bool,
    pub retain_as_published: bool,
    pub retain_handling: u8,
}

impl SubscribeOptions {
    fn with_qos(self, qos: QoS) -> SubOptions {
        SubOptions {
            qos,
            no_local: self.no_local,
            retain_as_published: self.retain_as_published,
            retain_handling: self.retain_handling,
        }
    }
}

/// subscribe() of one filter or a list of `(filter, qos)` pairs, with the
/// MQTT 5 options and properties (the core sends the 3.1.1 SUBSCRIBE on a
/// 3.1.1 connection, and refuses what needs MQTT 5): one SUBSCRIBE. A list
/// returns the list of codes without raising; a single filter its code (a
/// refusal raises, as the core's request says).
pub fn subscribe(
    slf: &Bound<'_, MQTTClient>,
    topic: &Bound<'_, PyAny>,
    qos: Option<&Bound<'_, PyAny>>,
    options: SubscribeOptions,
    properties: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let v5 = MQTTClient::guard(slf)?.protocol == 5;
    let props = from_py(properties, Context::Subscribe, v5)?;
    let (owned, list) = to_filters(topic, qos)?;
    let with_options: Vec<SubFilter<'_>> = owned
        .iter()
        .map(|(f, q)| (f.as_bytes(), options.with_qos(*q)))
        .collect();
    let op = Op::SubscribeV5 {
        filters: &with_options,
        properties: props.get(),
    };
    MQTTClient::perform(slf, Request::new(op), true)?;
    let codes: Vec<u8> = MQTTClient::guard(slf)?.core.last_suback().to_vec();
    if list {
        return Ok(PyList::new(py, codes)?.into_any().unbind());
    }
    // A nested subscribe() from a callback may have replaced the codes:
    // then report the requested QoS.
    let code = codes
        .first()
        .copied()
        .unwrap_or(owned.first().map_or(0, |p| p.1 as u8));
    Ok(code.into_pyobject(py)?.into_any().unbind())
}

/// After a successful connect(): the CONNACK's properties as
/// `connack_properties`, and an identifier the broker assigned becomes
/// `client_id` (so reconnects resume that session).
pub fn connected(slf: &Bound<'_, MQTTClient>) -> PyResult<()> {
    let py = slf.py();
    let (props, assigned) = {
        let t = MQTTClient::guard(slf)?;
        let props = to_py(py, t.core.connack_properties())?;
        let assigned = t
            .core
            .assigned_client_identifier()
            .map(|id| PyString::new(py, id));
        (props, assigned)
    };
    slf.setattr("connack_properties", props)?;
    if let Some(id) = assigned {
        slf.setattr("client_id", id)?;
    }
    Ok(())
}

/// The third argument of a `set_callback(f, details=True)` callback.
#[pyclass(frozen, module = "umqtt.simple", name = "MessageDetails")]
pub struct MessageDetails {
    /// QoS the message was delivered with.
    #[pyo3(get)]
    qos: u8,
    /// The RETAIN flag.
    #[pyo3(get)]
    retain: bool,
    /// The DUP flag (a redelivery).
    #[pyo3(get)]
    dup: bool,
    /// MQTT 5 properties (`{}` on 3.1.1).
    #[pyo3(get)]
    properties: Py<PyDict>,
}

#[pymethods]
impl MessageDetails {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "MessageDetails(qos={}, retain={}, dup={}, properties={})",
            self.qos,
            if self.retain { "True" } else { "False" },
            if self.dup { "True" } else { "False" },
            self.properties
                .bind(py)
                .repr()
                .map_or_else(|_| "?".into(), |r| r.to_string()),
        )
    }
}

pub fn details(py: Python<'_>, meta: Meta) -> PyResult<Py<MessageDetails>> {
    let p = Properties::parse(&meta.properties, Context::Publish, Role::Server)
        .unwrap_or(Properties::EMPTY);
    let d = MessageDetails {
        qos: meta.qos,
        retain: meta.retain,
        dup: meta.dup,
        properties: to_py(py, p)?.unbind(),
    };
    Py::new(py, d)
}

/// What set_auth() keeps for the next connect().
pub struct Auth {
    pub method: Py<PyString>,
    /// bytes or None.
    pub data: Py<PyAny>,
    pub on_challenge: Py<PyAny>,
}

impl Auth {
    /// (method, data) for [`with_auth`].
    pub fn values<'py>(&self, py: Python<'py>) -> (Bound<'py, PyAny>, Bound<'py, PyAny>) {
        (
            self.method.bind(py).clone().into_any(),
            self.data.bind(py).clone(),
        )
    }
}

/// Answer one AUTH challenge through the application's on_challenge: its
/// bytes go into `answer`; a Python error is kept in `err` (raised by
/// connect()) and stops the exchange.
pub fn answer_challenge(
    py: Python<'_>,
    f: &Py<PyAny>,
    data: &[u8],
    answer: &mut [u8],
    err: &std::cell::RefCell<Option<PyErr>>,
) -> Result<usize, Error> {
    let r = f
        .call1(py, (PyBytes::new(py, data),))
        .and_then(|a| Ok(a.bind(py).cast::<PyBytes>()?.as_bytes().to_vec()));
    match r {
        Ok(a) => match answer.get_mut(..a.len()) {
            Some(dst) => {
                dst.copy_from_slice(&a);
                Ok(a.len())
            }
            None => Err(Error::BufferTooSmall { needed: a.len() }),
        },
        Err(e) => {
            *err.borrow_mut() = Some(e);
            Err(Error::Host)
        }
    }
}
