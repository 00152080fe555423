// What the gate knows about a socket's readiness that Asio's reactor does not ask for.
//
// Asio's epoll reactor registers every socket once, edge-triggered, and starts each read with
// a speculative recv(): when the socket has nothing, that recv fails with EAGAIN and the read
// waits for the next edge. Its only other way to wait, async_wait, re-arms the socket with
// epoll_ctl every time. Either costs a system call per read that nginx does not make: nginx
// remembers that a short read drained the socket, and waits for the next edge without trying.
// On the gate's request path that is two calls per proxied request (the upstream's answer, read
// right after the request is sent; the client's next request, read right after the answer).
//
// The reactor already has the switch nginx uses: a per-socket flag, "try a speculative read",
// that it sets on every readiness event of the socket and clears only at end of file. These
// functions reach that flag, and the reactor's epoll descriptor, which Asio keeps private: the
// gate clears the flag after a short read it made itself, and a read started while the flag is
// still clear is queued without a system call. Boost 1.81's epoll reactor, which is what Debian
// 12 ships, is the one this was written against.
//
// Elsewhere (another Boost, another reactor) the fast path is compiled out and the portable one
// remains: every read is tried at once, as Asio itself does, one system call more per read and
// nothing else different. SLIPWAY_GATE_PORTABLE_READINESS=1 in the gate's environment takes the
// portable path on Boost 1.81 too, which is how the tests run it (and a way out should the fast
// path ever misbehave). Include this header from one file only: it holds explicit instantiations.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/version.hpp>

#if BOOST_VERSION / 100 == 1081 && defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) && \
    !defined(BOOST_ASIO_DISABLE_EPOLL)
#define SLIPWAY_READINESS_FAST_PATH 1
#include <boost/asio/detail/epoll_reactor.hpp>
#else
#define SLIPWAY_READINESS_FAST_PATH 0
#endif

namespace slipway::gate::readiness {

// The gate's sockets: TCP, on an io_context's executor.
using Socket = boost::asio::basic_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

// Whether reads skip the speculative recv (the fast path): compiled in, and not turned off.
inline const bool fast = [] {
  const char* off = std::getenv("SLIPWAY_GATE_PORTABLE_READINESS");
  return SLIPWAY_READINESS_FAST_PATH && !(off && std::strcmp(off, "1") == 0);
}();

#if SLIPWAY_READINESS_FAST_PATH
namespace detail {
// Naming a private member in an explicit instantiation is allowed ([temp.spec.general]/6), and
// the friend function defined there hands the member pointer out. A member is found by its
// pointer's type, which differs for each member used here.
template <class Pointer>
struct Tag {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-template-friend"  // it is one function per Pointer, on purpose
  friend Pointer member(Tag);
#pragma GCC diagnostic pop
};
template <class Pointer, Pointer Member>
struct Expose {
  friend Pointer member(Tag<Pointer>) { return Member; }
};

using Reactor = boost::asio::detail::epoll_reactor;
using State = Reactor::descriptor_state;
using Executor = boost::asio::io_context::executor_type;
using Socket = readiness::Socket;
using SocketImpl =
    boost::asio::detail::io_object_impl<boost::asio::detail::reactive_socket_service<boost::asio::ip::tcp>, Executor>;

using TrySpeculative = bool (State::*)[Reactor::max_ops];
template struct Expose<TrySpeculative, &State::try_speculative_>;
using RegisteredEvents = std::uint32_t State::*;
template struct Expose<RegisteredEvents, &State::registered_events_>;
using Descriptor = int State::*;
template struct Expose<Descriptor, &State::descriptor_>;
using ReactorOf = Reactor* State::*;
template struct Expose<ReactorOf, &State::reactor_>;
using EpollFd = int Reactor::*;
template struct Expose<EpollFd, &Reactor::epoll_fd_>;
using Impl = SocketImpl Socket::*;
template struct Expose<Impl, &Socket::impl_>;

template <class Pointer>
Pointer get() {
  return member(Tag<Pointer>{});
}

inline State* state(Socket& socket) {
  return (socket.*get<Impl>()).get_implementation().reactor_data_;
}
}  // namespace detail

// The reactor's "try a read at once" flag of a socket: set by every readiness event. A closed
// socket has none; it reads as set, so that its read is tried (and fails at once).
inline bool may_have_bytes(Socket& socket) {
  if (!fast) return true;
  detail::State* s = detail::state(socket);
  return !s || (s->*detail::get<detail::TrySpeculative>())[detail::Reactor::read_op];
}
inline void set_may_have_bytes(Socket& socket, bool may) {
  if (!fast) return;
  if (detail::State* s = detail::state(socket))
    (s->*detail::get<detail::TrySpeculative>())[detail::Reactor::read_op] = may;
}

// Asks the kernel to report the socket again if it is ready now (EPOLL_CTL_MOD with the same
// events re-checks readiness, as Asio does when it starts a wait), and lets the next read try at
// once. Recovers a read queued on a drained socket whose end of file arrived with its last data
// (a short read takes the data and the FIN together, and no edge follows).
inline void recheck(Socket& socket) {
  if (!fast) return;
  detail::State* s = detail::state(socket);
  if (!s) return;
  set_may_have_bytes(socket, true);
  using namespace detail;
  epoll_event ev{};
  ev.events = s->*get<RegisteredEvents>();
  ev.data.ptr = s;
  ::epoll_ctl((s->*get<ReactorOf>())->*get<EpollFd>(), EPOLL_CTL_MOD, s->*get<Descriptor>(), &ev);
}

#else
// The portable path: every read is tried at once.
inline bool may_have_bytes(Socket&) {
  return true;
}
inline void set_may_have_bytes(Socket&, bool) {}
inline void recheck(Socket&) {}
#endif

}  // namespace slipway::gate::readiness
