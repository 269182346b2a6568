//! CPython binding of umqtt-core: `umqtt.simple.MQTTClient`, a drop-in for
//! micropython-lib's umqtt.simple 1.8.0 (see spec/PYAPI.md).
//!
//! The class converts arguments and delegates to `umqtt_core::client::Client`;
//! socket I/O goes through the Python socket object in `self.sock`
//! (`host.rs`). Python code (user callbacks, subclass overrides) is only ever
//! called while no borrow of the object is held, so it may re-enter the
//! client (publish from a callback) freely.
use pyo3::prelude::*;

mod buf;
mod client;
mod conn;
mod connect;
mod convert;
mod drive;
mod errors;
mod host;
mod net;
mod params;
mod reconnect;
mod sign;
mod sockio;
mod v5;
mod ws;

pub(crate) use client::{Core, MQTTClient};
use errors::MQTTException;

/// The compiled part of the `umqtt` package; import from `umqtt.simple`.
#[pymodule]
fn _umqtt(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<MQTTClient>()?;
    m.add_class::<conn::Conn>()?;
    m.add_class::<v5::MessageDetails>()?;
    m.add_function(wrap_pyfunction!(ws::ws_target, m)?)?;
    m.add("MQTTException", m.py().get_type::<MQTTException>())?;
    sign::register(m)?;
    Ok(())
}
