// The hand-off between a handler (producer, on Swift's task pool) and its connection thread (the
// only code that touches the socket). Handlers only enqueue bytes and signal the connection's wake
// pipe; the thread does every send(2). This is the llama.cpp server's split in miniature: HTTP
// threads own the sockets, the work happens elsewhere, and the two meet at a queue, so a slow or
// vanished client can stall neither inference nor the cooperative pool.

/// Outcome of one attempt to flush queued bytes.
enum FlushResult: Equatable {
    /// Some bytes went out (possibly all).
    case progressed
    /// The socket is full; wait for POLLOUT.
    case blocked
    /// Nothing queued.
    case idle
    /// The peer is gone.
    case failed
}

/// One response's queue of outgoing bytes plus the lifecycle flags both sides watch.
final class ResponseChannel: @unchecked Sendable {
    private struct State {
        var queue: [[UInt8]] = []
        var queueHead = 0
        var headOffset = 0
        var pendingBytes = 0
        var handlerDone = false
        var clientGone = false
        var closeAfterResponse = false
        var task: Task<Void, Never>?
        var disconnectActions: [@Sendable () -> Void] = []
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// What the connection thread needs to decide its next wait.
    struct Status {
        var hasPending: Bool
        var handlerDone: Bool
        var clientGone: Bool
    }

    private let state = Locked(State())
    private let wake: WakePipe
    private let highWatermark: Int

    init(wake: WakePipe, highWatermark: Int) {
        self.wake = wake
        self.highWatermark = max(1, highWatermark)
    }

    // MARK: - Producer side (handler tasks)

    /// Queues bytes for the connection thread. Returns false (and drops them) once the client is gone.
    func enqueue(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return !isClientGone }
        let accepted = state.withLock { state -> Bool in
            guard !state.clientGone else { return false }
            state.queue.append(bytes)
            state.pendingBytes += bytes.count
            return true
        }
        if accepted { wake.signal() }
        return accepted
    }

    /// Suspends while more than the high watermark is queued, until the connection thread has
    /// drained it to a quarter of that or the client is gone. This is the stream's backpressure.
    func waitForDrain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let mustWait = state.withLock { state -> Bool in
                guard !state.clientGone, state.pendingBytes > highWatermark else { return false }
                state.drainWaiters.append(continuation)
                return true
            }
            if !mustWait { continuation.resume() }
        }
    }

    /// Whether the peer is known to be gone.
    var isClientGone: Bool { state.withLock { $0.clientGone } }

    /// Registers `action` to run once when the client disconnects; runs it now if it already has.
    func onDisconnect(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            guard !state.clientGone else { return true }
            state.disconnectActions.append(action)
            return false
        }
        if runNow { action() }
    }

    /// Asks the connection to close after this response (set by the writer from the head it sent).
    func requestCloseAfterResponse() {
        state.withLock { $0.closeAfterResponse = true }
    }

    // MARK: - Connection side

    /// Keeps the handler's task so a disconnect can cancel it.
    func attach(_ task: Task<Void, Never>) {
        let goneAlready = state.withLock { state -> Bool in
            state.task = task
            return state.clientGone
        }
        if goneAlready { task.cancel() }
    }

    /// Called when the handler (and the writer's completion) returned.
    func markHandlerDone() {
        state.withLock { $0.handlerDone = true }
        wake.signal()
    }

    /// Records that the client went away: drops queued bytes, cancels the handler's task, runs the
    /// disconnect actions and releases writers waiting on backpressure. Idempotent.
    @discardableResult
    func markClientGone() -> Bool {
        let (first, task, actions, waiters) = state.withLock { state in
            guard !state.clientGone else {
                return (false, Task<Void, Never>?.none, [@Sendable () -> Void](), [CheckedContinuation<Void, Never>]())
            }
            state.clientGone = true
            state.queue = []
            state.queueHead = 0
            state.headOffset = 0
            state.pendingBytes = 0
            defer { state.disconnectActions = []; state.drainWaiters = [] }
            return (true, state.task, state.disconnectActions, state.drainWaiters)
        }
        // Outside the lock: these run arbitrary code.
        task?.cancel()
        for action in actions { action() }
        for waiter in waiters { waiter.resume() }
        return first
    }

    /// A snapshot for the connection thread's loop.
    var status: Status {
        state.withLock { Status(hasPending: $0.pendingBytes > 0, handlerDone: $0.handlerDone, clientGone: $0.clientGone) }
    }

    /// Whether the connection must close once this response is out.
    var closeAfterResponse: Bool { state.withLock { $0.closeAfterResponse } }

    /// Sends queued bytes until the queue is empty or the socket would block.
    func flush(to socket: Socket) -> FlushResult {
        var result = FlushResult.idle
        while true {
            let next = state.withLock { state -> ([UInt8], Int)? in
                state.queueHead < state.queue.count ? (state.queue[state.queueHead], state.headOffset) : nil
            }
            // Copying the array out is O(1): arrays are copy-on-write and nobody mutates this one.
            guard let (chunk, offset) = next else { return result }
            let sent = chunk.withUnsafeBytes { socket.send(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch sent {
            case .wouldBlock:
                return result == .progressed ? .progressed : .blocked
            case .failed:
                return .failed
            case .sent(let count):
                result = .progressed
                let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                    guard !state.clientGone else { return [] }
                    state.headOffset += count
                    state.pendingBytes -= count
                    if state.headOffset == chunk.count {
                        state.queue[state.queueHead] = []  // release the sent chunk's memory now
                        state.queueHead += 1
                        state.headOffset = 0
                        if state.queueHead == state.queue.count {
                            state.queue.removeAll(keepingCapacity: true)
                            state.queueHead = 0
                        } else if state.queueHead >= 64 && state.queueHead * 2 >= state.queue.count {
                            // A producer that is always ahead never empties the queue; compact it.
                            state.queue.removeFirst(state.queueHead)
                            state.queueHead = 0
                        }
                    }
                    guard state.pendingBytes <= highWatermark / 4 else { return [] }
                    defer { state.drainWaiters = [] }
                    return state.drainWaiters
                }
                for waiter in waiters { waiter.resume() }
            }
        }
    }
}
