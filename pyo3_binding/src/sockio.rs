//! What the client keeps about `self.sock` across calls ([`SockState`]):
//! its bound methods, looked up once per socket object (a lookup per call
//! costs a new bound-method object each time) and a `select.poll` on its
//! descriptor; and what wait_msg()/check_msg() tell the next step's host
//! about the socket's mode ([`StepMode`]), so that check_msg() on a blocking
//! plain socket needs no setblocking() calls (two ioctl each).
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};
use pyo3::{intern, PyTraverseError, PyVisit};

use crate::MQTTClient;

/// `socket.gettimeout()`: `None` blocks forever, `Some(0.0)` is non-blocking.
pub type Timeout = Option<f64>;

/// What `self.sock` is, which decides how it is waited on (host.rs).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Exactly `socket.socket`: waits poll its descriptor.
    Plain,
    /// `ssl.SSLSocket`: waits with `settimeout`; writes start with `send()`.
    Tls,
    /// Anything else: only the documented methods, through `getattr`.
    Other,
}

/// The bound methods of one socket object.
pub struct Methods {
    /// The object they belong to (compared by identity).
    sock: Py<PyAny>,
    pub kind: Kind,
    /// `send`, `recv`, `gettimeout` (None for `Kind::Other`).
    pub send: Option<Py<PyAny>>,
    pub recv: Option<Py<PyAny>>,
    pub gettimeout: Option<Py<PyAny>>,
    /// `fileno` and `recv_into` (plain sockets).
    pub fileno: Option<Py<PyAny>>,
    pub recv_into: Option<Py<PyAny>>,
    /// The bound `poll` of a `select.poll()` with this descriptor registered.
    poller: Option<(i64, Py<PyAny>)>,
}

impl Methods {
    fn new(sock: &Bound<'_, PyAny>) -> Self {
        let py = sock.py();
        let mut kind = kind_of(sock);
        let get = |name| sock.getattr(name).ok().map(Bound::unbind);
        let (mut send, mut recv, mut gettimeout) = (None, None, None);
        let (mut fileno, mut recv_into) = (None, None);
        if kind != Kind::Other {
            send = get(intern!(py, "send"));
            recv = get(intern!(py, "recv"));
            gettimeout = get(intern!(py, "gettimeout"));
            if kind == Kind::Plain {
                fileno = get(intern!(py, "fileno"));
                recv_into = get(intern!(py, "recv_into"));
            }
            if send.is_none() || recv.is_none() || gettimeout.is_none() {
                kind = Kind::Other;
            }
        }
        Methods {
            sock: sock.clone().unbind(),
            kind,
            send,
            recv,
            gettimeout,
            fileno,
            recv_into,
            poller: None,
        }
    }

    /// The bound `poll` of a `select.poll()` watching descriptor `fd` for
    /// reading (made again if the socket's descriptor changed).
    pub fn poller<'py>(&mut self, py: Python<'py>, fd: i64) -> PyResult<Bound<'py, PyAny>> {
        if let Some((f, p)) = &self.poller {
            if *f == fd {
                return Ok(p.bind(py).clone());
            }
        }
        let Some((new_poll, pollin)) = select_poll(py) else {
            return Err(pyo3::exceptions::PyOSError::new_err("no select.poll"));
        };
        let p = new_poll.call0()?;
        p.call_method1(intern!(py, "register"), (fd, pollin))?;
        let poll = p.getattr(intern!(py, "poll"))?;
        self.poller = Some((fd, poll.clone().unbind()));
        Ok(poll)
    }
}

/// What the next step's host may take as known about the socket.
#[derive(Default)]
enum Preset {
    #[default]
    Off,
    /// check_msg(): the next wait_msg() step on this blocking plain socket
    /// acts as on a non-blocking one.
    Armed(Py<PyAny>),
    /// In a wait_msg() step on this socket: its timeout, as just read.
    Known(Py<PyAny>, Timeout),
    /// In a wait_msg() step on this socket: the armed non-blocking view.
    View(Py<PyAny>),
}

/// The client's per-socket state, kept across calls.
#[derive(Default)]
pub struct SockState {
    methods: Option<Methods>,
    preset: Preset,
}

impl SockState {
    /// The methods of `sock`, looked up again when `self.sock` is a
    /// different object than last time.
    pub fn methods(&mut self, sock: &Bound<'_, PyAny>) -> &mut Methods {
        if !self.methods.as_ref().is_some_and(|m| m.sock.is(sock)) {
            self.methods = Some(Methods::new(sock));
        }
        self.methods.get_or_insert_with(|| Methods::new(sock))
    }

    /// The methods looked up last, if any.
    pub fn cached(&self) -> Option<&Methods> {
        self.methods.as_ref()
    }

    /// For a host on `sock`: `(its real timeout if known, the non-blocking
    /// view)`, as preset by wait_msg()/check_msg() for this step.
    pub fn preset_for(&self, sock: &Bound<'_, PyAny>) -> (Option<Timeout>, bool) {
        match &self.preset {
            Preset::Known(s, t) if s.is(sock) => (Some(*t), false),
            // The view is armed on blocking sockets only.
            Preset::View(s) if s.is(sock) => (Some(None), true),
            _ => (None, false),
        }
    }

    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(m) = &self.methods {
            visit.call(&m.sock)?;
            for f in [&m.send, &m.recv, &m.gettimeout, &m.fileno, &m.recv_into] {
                visit.call(f)?;
            }
            if let Some((_, p)) = &m.poller {
                visit.call(p)?;
            }
        }
        match &self.preset {
            Preset::Armed(s) | Preset::Known(s, _) | Preset::View(s) => visit.call(s),
            Preset::Off => Ok(()),
        }
    }

    pub fn clear(&mut self) {
        *self = SockState::default();
    }
}

static SOCKET_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SSL_SOCKET: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static MSG_DONTWAIT: PyOnceLock<Option<Py<PyAny>>> = PyOnceLock::new();
static SELECT_POLL: PyOnceLock<Option<(Py<PyAny>, Py<PyAny>)>> = PyOnceLock::new();
static OWN_METHODS: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

fn kind_of(sock: &Bound<'_, PyAny>) -> Kind {
    let py = sock.py();
    if SOCKET_TYPE
        .import(py, "socket", "socket")
        .is_ok_and(|t| sock.get_type().is(t))
    {
        return Kind::Plain;
    }
    // A TLS socket has made the program import ssl; do not import it for
    // other objects.
    let ssl_loaded = py
        .import("sys")
        .and_then(|s| s.getattr("modules"))
        .and_then(|m| m.contains("ssl"))
        .unwrap_or(false);
    if ssl_loaded
        && SSL_SOCKET
            .import(py, "ssl", "SSLSocket")
            .is_ok_and(|t| sock.is_instance(t.as_any()).unwrap_or(false))
    {
        return Kind::Tls;
    }
    Kind::Other
}

/// `socket.MSG_DONTWAIT`, where the platform has it.
pub fn dontwait(py: Python<'_>) -> Option<&Bound<'_, PyAny>> {
    MSG_DONTWAIT
        .get_or_init(py, || {
            py.import("socket")
                .and_then(|m| m.getattr("MSG_DONTWAIT"))
                .ok()
                .map(Bound::unbind)
        })
        .as_ref()
        .map(|f| f.bind(py))
}

/// `(select.poll, select.POLLIN)`, where the platform has them.
pub fn select_poll(py: Python<'_>) -> Option<(&Bound<'_, PyAny>, &Bound<'_, PyAny>)> {
    SELECT_POLL
        .get_or_init(py, || {
            let m = py.import("select").ok()?;
            let poll = m.getattr("poll").ok()?;
            let pollin = m.getattr("POLLIN").ok()?;
            Some((poll.unbind(), pollin.unbind()))
        })
        .as_ref()
        .map(|(p, i)| (p.bind(py), i.bind(py)))
}

/// How wait_msg() runs one step (see [`MQTTClient::begin_step`]).
#[derive(Clone, Copy, PartialEq)]
pub enum StepMode {
    /// The socket's own timeout.
    Real(Timeout),
    /// check_msg()'s non-blocking view of a blocking plain socket.
    View,
}

impl StepMode {
    /// The step does not wait: no whole packet -> None.
    pub fn nonblocking(self) -> bool {
        matches!(self, StepMode::View | StepMode::Real(Some(0.0)))
    }

    /// The caller made the socket non-blocking; umqtt.simple leaves it
    /// blocking after wait_msg().
    pub fn needs_blocking_after(self) -> bool {
        self == StepMode::Real(Some(0.0))
    }
}

impl MQTTClient {
    /// wait_msg(): read the socket's mode for one step and let the step's
    /// host use it (saves it a second gettimeout()); a view check_msg() armed
    /// for this socket is used instead. Call `end_step` after the step.
    pub(crate) fn begin_step(slf: &Bound<'_, Self>, sock: &Bound<'_, PyAny>) -> PyResult<StepMode> {
        let py = slf.py();
        let gettimeout = {
            let mut this = Self::guard(slf)?;
            let io = &mut this.io;
            if matches!(&io.preset, Preset::Armed(s) if s.is(sock)) {
                io.preset = Preset::View(sock.clone().unbind());
                return Ok(StepMode::View);
            }
            io.preset = Preset::Off;
            io.methods(sock)
                .gettimeout
                .as_ref()
                .map(|f| f.clone_ref(py))
        };
        // No borrow held: on a custom socket object this runs Python code.
        let t = match gettimeout {
            Some(f) => f.call0(py)?.extract::<Option<f64>>(py)?,
            None => sock
                .call_method0(intern!(py, "gettimeout"))?
                .extract::<Option<f64>>()?,
        };
        Self::guard(slf)?.io.preset = Preset::Known(sock.clone().unbind(), t);
        Ok(StepMode::Real(t))
    }

    /// After a step (or a check_msg()): nothing is preset any more.
    pub(crate) fn end_step(slf: &Bound<'_, Self>) {
        if let Ok(mut this) = slf.try_borrow_mut() {
            this.io.preset = Preset::Off;
        }
    }

    /// check_msg() on a blocking plain socket, wait_msg() not overridden:
    /// arm the next step to act as on a non-blocking socket (reads poll
    /// first, writes use `MSG_DONTWAIT`) instead of setblocking(False) and
    /// setblocking(True) around it. The socket stays blocking, as
    /// umqtt.simple leaves it. True if armed.
    pub(crate) fn arm_nonblocking_view(
        slf: &Bound<'_, Self>,
        sock: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let py = slf.py();
        if dontwait(py).is_none() || select_poll(py).is_none() || !Self::own_wait_msg(slf)? {
            return Ok(false);
        }
        let gettimeout = {
            let mut this = Self::guard(slf)?;
            let m = this.io.methods(sock);
            match (&m.gettimeout, m.kind) {
                (Some(f), Kind::Plain) => f.clone_ref(py),
                _ => return Ok(false),
            }
        };
        // Any trouble here: the usual path raises it.
        let blocking = gettimeout
            .call0(py)
            .and_then(|t| t.extract::<Option<f64>>(py))
            .is_ok_and(|t| t.is_none());
        if blocking {
            Self::guard(slf)?.io.preset = Preset::Armed(sock.clone().unbind());
        }
        Ok(blocking)
    }

    /// `self.wait_msg` is this class's own (check_msg() calls it through the
    /// instance, so a subclass's or an instance attribute would be used).
    fn own_wait_msg(slf: &Bound<'_, Self>) -> PyResult<bool> {
        let py = slf.py();
        let ty = slf.get_type();
        if !ty.is(py.get_type::<MQTTClient>()) {
            let (wait_msg, getattribute) = OWN_METHODS.get_or_try_init(py, || {
                let t = py.get_type::<MQTTClient>();
                PyResult::Ok((
                    t.getattr("wait_msg")?.unbind(),
                    t.getattr("__getattribute__")?.unbind(),
                ))
            })?;
            if !ty.getattr(intern!(py, "wait_msg"))?.is(wait_msg)
                || !ty
                    .getattr(intern!(py, "__getattribute__"))?
                    .is(getattribute)
            {
                return Ok(false);
            }
        }
        let d = slf.getattr(intern!(py, "__dict__"))?;
        Ok(!d.cast::<PyDict>()?.contains(intern!(py, "wait_msg"))?)
    }
}
