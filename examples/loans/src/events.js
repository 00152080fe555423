'use strict';

const { WebSocketServer, WebSocket } = require('ws');

// WebSocket hub at /ws/events?token=<access token>. Every data-modifying
// request publishes one event per change. Events about users (login, logout,
// refresh) only go to admins and to the user concerned.
function createEventHub({ server, authenticate, release }) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });

  function reject(socket, status, reason) {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname !== '/ws/events') return reject(socket, 404, 'Not Found');
    authenticate(url.searchParams.get('token')).then(
      (user) => {
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.user = user;
          ws.isAlive = true;
          ws.on('pong', () => {
            ws.isAlive = true;
          });
          ws.on('error', () => ws.terminate());
          ws.send(JSON.stringify({ type: 'hello', userId: user.id, release, at: new Date().toISOString() }));
        });
      },
      (err) => (err.status === 401 ? reject(socket, 401, 'Unauthorized') : reject(socket, 503, 'Service Unavailable')),
    );
  });

  // Drop connections that stopped answering pings.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!ws.isAlive) {
        ws.terminate();
        continue;
      }
      ws.isAlive = false;
      ws.ping();
    }
  }, 30000);
  heartbeat.unref();

  function publish(event) {
    const data = JSON.stringify(event);
    for (const ws of wss.clients) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (event.entity === 'user' && ws.user.role !== 'ADMIN' && ws.user.id !== event.userId) continue;
      ws.send(data);
    }
  }

  function disconnectUser(userId) {
    for (const ws of wss.clients) if (ws.user.id === userId) ws.close(4001, 'logged out');
  }

  function close() {
    clearInterval(heartbeat);
    for (const ws of wss.clients) ws.close(1001, 'server shutting down');
    wss.close();
  }

  return { publish, disconnectUser, close };
}

module.exports = { createEventHub };
