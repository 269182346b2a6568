//! Opening `self.sock`: TCP connect (every address `getaddrinfo` returns, in
//! order, like `socket.create_connection`), TCP_NODELAY, optional TLS.
use pyo3::exceptions::{PyOSError, PyTimeoutError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyMapping};

/// How to wrap the TCP socket: `wrapper.wrap_socket(sock, **kwargs)`.
struct Tls<'py> {
    wrapper: Bound<'py, PyAny>,
    kwargs: Bound<'py, PyDict>,
}

/// Connect to `server:port` within `step` seconds for the TCP connect and
/// the TLS handshake each (the core's `connect_step_timeout_ms`); returns
/// the (TLS-wrapped) socket, left with `timeout` (seconds, `None` =
/// blocking) as its timeout.
pub fn open<'py>(
    py: Python<'py>,
    server: &Bound<'py, PyAny>,
    port: &Bound<'py, PyAny>,
    step: f64,
    timeout: Option<f64>,
    ssl: &Bound<'py, PyAny>,
    ssl_params: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    crate::convert::check_port(port)?;
    // TLS settings first: bad ssl_params fail before any network I/O.
    let tls = tls_config(py, server, ssl, ssl_params)?;
    let socket = py.import("socket")?;
    let infos = socket.call_method1(
        "getaddrinfo",
        (server, port, 0, socket.getattr("SOCK_STREAM")?),
    )?;
    let mut last_err = None;
    let mut connected = None;
    for info in infos.try_iter()? {
        let info = info?;
        let [family, kind, proto, addr] = [0, 1, 2, 4].map(|i| info.get_item(i));
        let (family, kind, proto, addr) = (family?, kind?, proto?, addr?);
        let sock = socket.call_method1("socket", (&family, kind, proto))?;
        match connect_one(&socket, &sock, &family, &addr, step) {
            Ok(()) => {
                connected = Some(sock);
                break;
            }
            Err(e) => {
                let _ = sock.call_method0("close");
                last_err = Some(e);
            }
        }
    }
    let Some(sock) = connected else {
        return Err(
            last_err.unwrap_or_else(|| PyOSError::new_err("getaddrinfo returned no address"))
        );
    };
    // A TLS failure is final (no other address is tried): it is about the
    // broker's identity or our settings, not reachability.
    let wrapped = match &tls {
        Some(t) => t
            .wrapper
            .call_method("wrap_socket", (&sock,), Some(&t.kwargs)),
        None => Ok(sock.clone()),
    };
    let wrapped = wrapped.map_err(|e| timed_out(py, e));
    match wrapped.and_then(|s| s.call_method1("settimeout", (timeout,)).map(|_| s)) {
        Ok(s) => Ok(s),
        Err(e) => {
            let _ = sock.call_method0("close");
            Err(e)
        }
    }
}

/// CPython's socket timeout (`TimeoutError("timed out")`, no errno) as the
/// core's timeout, `OSError(110)`, as on MicroPython (spec/PYAPI.md
/// "Timeouts").
fn timed_out(py: Python<'_>, e: PyErr) -> PyErr {
    let no_errno = e.value(py).getattr("errno").is_ok_and(|n| n.is_none());
    if e.is_instance_of::<PyTimeoutError>(py) && no_errno {
        crate::errors::to_pyerr(umqtt_core::Error::Timeout, None)
    } else {
        e
    }
}

fn connect_one(
    socket: &Bound<'_, PyModule>,
    sock: &Bound<'_, PyAny>,
    family: &Bound<'_, PyAny>,
    addr: &Bound<'_, PyAny>,
    step: f64,
) -> PyResult<()> {
    // The TLS handshake that follows runs under this timeout too.
    sock.call_method1("settimeout", (step,))?;
    sock.call_method1("connect", (addr,))
        .map_err(|e| timed_out(sock.py(), e))?;
    // Each packet is one write; Nagle would hold back small ones (acks,
    // QoS 0 publishes) for up to 40 ms.
    let inet = [socket.getattr("AF_INET")?, socket.getattr("AF_INET6")?];
    if inet.iter().any(|f| f.eq(family).unwrap_or(false)) {
        sock.call_method1(
            "setsockopt",
            (
                socket.getattr("IPPROTO_TCP")?,
                socket.getattr("TCP_NODELAY")?,
                1,
            ),
        )?;
    }
    Ok(())
}

/// `ssl=True`: a context built from `ssl_params`; another truthy `ssl` is an
/// SSLContext-like object: `ssl.wrap_socket(sock, server_hostname=server)`.
fn tls_config<'py>(
    py: Python<'py>,
    server: &Bound<'py, PyAny>,
    ssl: &Bound<'py, PyAny>,
    ssl_params: &Bound<'py, PyAny>,
) -> PyResult<Option<Tls<'py>>> {
    if ssl.is_none() || !ssl.is_truthy()? {
        return Ok(None);
    }
    if ssl.is_exact_instance_of::<PyBool>() {
        return context_from_params(py, server, ssl_params).map(Some);
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("server_hostname", server)?;
    Ok(Some(Tls {
        wrapper: ssl.clone(),
        kwargs,
    }))
}

/// The `ssl.wrap_socket(sock, **ssl_params)` of MicroPython/old CPython,
/// built on SSLContext. Like wrap_socket, certificates are not verified
/// unless `cert_reqs` is set, or a CA (`ca_certs`/`cadata`) is given.
fn context_from_params<'py>(
    py: Python<'py>,
    server: &Bound<'py, PyAny>,
    params: &Bound<'py, PyAny>,
) -> PyResult<Tls<'py>> {
    let ssl = py.import("ssl")?;
    let p = PyDict::new(py);
    if !params.is_none() {
        p.update(
            params
                .cast::<PyMapping>()
                .map_err(|_| PyTypeError::new_err("ssl_params must be a dict"))?,
        )?;
    }
    let take = |k: &str| -> PyResult<Option<Bound<'py, PyAny>>> {
        let v = p.get_item(k)?;
        if v.is_some() {
            p.del_item(k)?;
        }
        Ok(v.filter(|v| !v.is_none()))
    };
    let ca_certs = take("ca_certs")?;
    let cadata = take("cadata")?;
    let certfile = take("certfile")?;
    let keyfile = take("keyfile")?;
    let ciphers = take("ciphers")?;
    let hostname = take("server_hostname")?.unwrap_or_else(|| server.clone());
    let cert_none = ssl.getattr("CERT_NONE")?;
    let has_ca = ca_certs.is_some() || cadata.is_some();
    let cert_reqs = match take("cert_reqs")? {
        Some(c) => c,
        None if has_ca => ssl.getattr("CERT_REQUIRED")?,
        None => cert_none.clone(),
    };
    let verify = !cert_reqs.eq(&cert_none)?;
    let check_hostname = match take("check_hostname")? {
        Some(c) => c.is_truthy()?,
        None => verify,
    };
    let handshake = match take("do_handshake_on_connect")? {
        Some(h) => Some(h),
        None => take("do_handshake")?,
    };
    if let Some((k, _)) = p.iter().next() {
        return Err(PyTypeError::new_err(format!(
            "unexpected ssl_params key {k}"
        )));
    }

    let ctx = ssl.call_method1("SSLContext", (ssl.getattr("PROTOCOL_TLS_CLIENT")?,))?;
    // check_hostname must be off before verify_mode may become CERT_NONE.
    ctx.setattr("check_hostname", false)?;
    ctx.setattr("verify_mode", &cert_reqs)?;
    ctx.setattr("check_hostname", check_hostname)?;
    if has_ca {
        let kw = PyDict::new(py);
        kw.set_item("cafile", ca_certs)?;
        kw.set_item("cadata", cadata)?;
        ctx.call_method("load_verify_locations", (), Some(&kw))?;
    } else if verify {
        ctx.call_method0("load_default_certs")?;
    }
    if let Some(cert) = certfile {
        ctx.call_method1("load_cert_chain", (cert, keyfile))?;
    }
    if let Some(c) = ciphers {
        ctx.call_method1("set_ciphers", (c,))?;
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("server_hostname", hostname)?;
    if let Some(h) = handshake {
        kwargs.set_item("do_handshake_on_connect", h.is_truthy()?)?;
    }
    Ok(Tls {
        wrapper: ctx,
        kwargs,
    })
}
