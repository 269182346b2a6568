// A second MQTT broker for the WebSocket tests: aedes (npm) behind the `ws` package, on
// loopback. Mosquitto 2.0.11 sends WebSocket data to clients at ~40 KB/s; this one does
// not, so large messages over WebSockets are tested here (see ../ws_broker.py).
//
//   node aedes_broker.mjs PORT WS_PORT [WSS_PORT CERT KEY]
//
// Prints "ready" once every listener is up; runs until killed.
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { Aedes } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'

const [port, wsPort, wssPort, cert, key] = process.argv.slice(2)
const host = '127.0.0.1'
const aedes = await Aedes.createBroker()

function listen (server, p) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(Number(p), host, resolve)
  })
}

function serveWebSockets (server) {
  // MQTT 3.1.1 section 6: the server selects the "mqtt" subprotocol.
  const wss = new WebSocketServer({
    server,
    maxPayload: 64 << 20,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false)
  })
  wss.on('connection', (socket, req) => aedes.handle(createWebSocketStream(socket), req))
}

const listening = [listen(net.createServer(aedes.handle), port)]
const web = http.createServer()
serveWebSockets(web)
listening.push(listen(web, wsPort))
if (wssPort) {
  const secure = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) })
  serveWebSockets(secure)
  listening.push(listen(secure, wssPort))
}
await Promise.all(listening)
console.log('ready')
