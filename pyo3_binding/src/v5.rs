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
    Context, Dynamic, Properties, PropertyBuilder, PropertyId, Role, SubFilter, SubOptions, Value,
};
use umqtt_core::{ArgError, Error, QoS};

use crate::convert::to_filters;
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

/// Room for one value in the encoding (identifier, length prefixes).
fn value_room(v: &Bound<'_, PyAny>) -> usize {
    let len = v
        .len()
        .ok()
        .or_else(|| {
            v.cast::<PyString>()
                .ok()
                .and_then(|s| s.to_str().ok())
                .map(str::len)
        })
        .unwrap_or(0);
    len.saturating_add(8)
}

/// The properties of `obj` (a dict, None or `{}`) for a packet of `ctx`
/// sent by this client. With `v5` false (a 3.1.1 client), a non-empty dict
/// is the core's `PropertiesNeedV5` ValueError.
pub fn from_py(obj: Option<&Bound<'_, PyAny>>, ctx: Context, v5: bool) -> PyResult<PropBuf> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(PropBuf::empty(ctx));
    };
    let dict = obj
        .cast::<PyDict>()
        .map_err(|_| PyTypeError::new_err("properties must be a dict or None"))?;
    if dict.is_empty() {
        return Ok(PropBuf::empty(ctx));
    }
    if !v5 {
        return Err(to_pyerr(ArgError::PropertiesNeedV5.into(), None));
    }
    // Room for everything: strings and bytes plus their prefixes, pairs and
    // lists item by item.
    let mut room = 0usize;
    for (_, v) in dict.iter() {
        room = room.saturating_add(value_room(&v));
        if let Ok(items) = v.cast::<PyList>() {
            for item in items.iter() {
                let pair = item
                    .cast::<PyTuple>()
                    .map_or(0, |t| t.iter().map(|x| value_room(&x)).sum::<usize>());
                room = room.saturating_add(pair.max(8));
            }
        }
    }
    let mut buf = vec![0u8; room.min(umqtt_core::codec::MAX_REMAINING_LEN)];
    let mut b = PropertyBuilder::new(&mut buf, ctx, Role::Client);
    for (k, v) in dict.iter() {
        let name = k
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("property names must be str"))?
            .to_str()?;
        push(&mut b, name, &v)?;
    }
    let len = b.len();
    buf.truncate(len);
    Ok(PropBuf { bytes: buf, ctx })
}

fn core_err(e: Error) -> PyErr {
    to_pyerr(e, None)
}

/// Push one dict item: a list is several values of a repeatable property
/// (user properties, subscription identifiers); the core refuses a list
/// where the property may appear once.
fn push(b: &mut PropertyBuilder<'_>, name: &str, v: &Bound<'_, PyAny>) -> PyResult<()> {
    if let Ok(items) = v.cast::<PyList>() {
        for item in items.iter() {
            push_one(b, name, &item)?;
        }
        return Ok(());
    }
    push_one(b, name, v)
}

fn push_one(b: &mut PropertyBuilder<'_>, name: &str, v: &Bound<'_, PyAny>) -> PyResult<()> {
    let pair: Option<(Bound<'_, PyString>, Bound<'_, PyString>)> =
        v.cast::<PyTuple>().ok().and_then(|t| t.extract().ok());
    let value = if let Some((k, val)) = &pair {
        Dynamic::Value(Value::Pair(k.to_str()?, val.to_str()?))
    } else if v.is_instance_of::<PyTuple>() {
        Dynamic::Other
    } else if let Ok(s) = v.cast::<PyString>() {
        Dynamic::Value(Value::Str(s.to_str()?))
    } else if let Ok(by) = v.cast::<PyBytes>() {
        Dynamic::Value(Value::Binary(by.as_bytes()))
    } else if v.is_instance_of::<pyo3::types::PyBool>() || v.is_instance_of::<pyo3::types::PyInt>()
    {
        // Booleans are ints in Python (request_problem_information=True).
        Dynamic::Int(v.extract().unwrap_or(i64::MAX))
    } else {
        Dynamic::Other
    };
    b.push_dynamic(name, value).map_err(core_err)
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

/// `MQTTException(code, reason_string)` for a refusal or a server
/// DISCONNECT, with the reason string of the packet that carried it (None
/// when it had none); other errors unchanged.
pub fn with_reason(err: PyErr, e: Error, v5: bool, reason: Option<&str>, py: Python<'_>) -> PyErr {
    match e {
        Error::Refused(code) | Error::ServerDisconnect(code) | Error::ConnectionRefused(code)
            if v5 =>
        {
            MQTTException::new_err((code, reason.map(|r| PyString::new(py, r).unbind())))
        }
        _ => err,
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
    pub fn is_default(&self) -> bool {
        !self.no_local && !self.retain_as_published && self.retain_handling == 0
    }

    fn with_qos(self, qos: QoS) -> SubOptions {
        SubOptions {
            qos,
            no_local: self.no_local,
            retain_as_published: self.retain_as_published,
            retain_handling: self.retain_handling,
        }
    }
}

/// subscribe() with a list of `(filter, qos)` pairs (both protocols), or
/// with MQTT 5 options and properties: one SUBSCRIBE. A list returns the
/// list of codes without raising; a single filter its code (a refusal
/// raises, as the core's request says).
pub fn subscribe(
    slf: &Bound<'_, MQTTClient>,
    topic: &Bound<'_, PyAny>,
    qos: Option<&Bound<'_, PyAny>>,
    options: SubscribeOptions,
    properties: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let v5 = MQTTClient::guard(slf)?.protocol == 5;
    if !v5 && !options.is_default() {
        return Err(core_err(ArgError::PropertiesNeedV5.into()));
    }
    let props = from_py(properties, Context::Subscribe, v5)?;
    let (owned, list) = to_filters(topic, qos)?;
    let plain: Vec<(&[u8], QoS)> = owned.iter().map(|(f, q)| (f.as_bytes(), *q)).collect();
    let with_options: Vec<SubFilter<'_>> = plain
        .iter()
        .map(|&(f, q)| (f, options.with_qos(q)))
        .collect();
    let op = if v5 {
        Op::SubscribeV5 {
            filters: &with_options,
            properties: props.get(),
        }
    } else {
        Op::SubscribeAll(&plain)
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
        .unwrap_or(plain.first().map_or(0, |p| p.1 as u8));
    Ok(code.into_pyobject(py)?.into_any().unbind())
}

/// After a successful connect(): the CONNACK's properties as
/// `connack_properties`, and an identifier the broker assigned becomes
/// `client_id` (so reconnects resume that session).
pub fn connected(slf: &Bound<'_, MQTTClient>) -> PyResult<()> {
    let py = slf.py();
    let mut t = MQTTClient::guard(slf)?;
    let props = to_py(py, t.core.connack_properties())?;
    let assigned = t
        .core
        .assigned_client_identifier()
        .map(|id| PyString::new(py, id).into_any().unbind());
    t.connack_properties = props.into_any().unbind();
    if let Some(id) = assigned {
        t.client_id = id;
    }
    Ok(())
}

impl MQTTClient {
    /// The reason code of the acknowledgement the last request completed on.
    pub(crate) fn reason_code(slf: &Bound<'_, Self>) -> u8 {
        Self::guard(slf).map_or(0, |t| t.core.last_reason_code())
    }
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
    pub data: Option<Py<PyBytes>>,
    pub on_challenge: Py<PyAny>,
}

/// The CONNECT properties: those of the last connect() plus, after
/// set_auth(), the authentication method and data.
pub fn connect_properties<'py>(py: Python<'py>, c: &MQTTClient) -> PyResult<Bound<'py, PyAny>> {
    let stored = c.connect_properties.bind(py);
    let Some(auth) = &c.auth else {
        return Ok(stored.clone());
    };
    let d = PyDict::new(py);
    if !stored.is_none() {
        d.update(
            stored
                .cast::<PyDict>()
                .map_err(|_| PyTypeError::new_err("properties must be a dict or None"))?
                .as_mapping(),
        )?;
    }
    d.set_item("authentication_method", auth.method.bind(py))?;
    if let Some(data) = &auth.data {
        d.set_item("authentication_data", data.bind(py))?;
    }
    Ok(d.into_any())
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
