// One HTTP POST through libcurl, run synchronously on the calling (dedicated) thread. This is
// the only file that touches C: pointers and curl types never leave it.
internal import CCurlShim
import Foundation

/// Receives what one transfer produces. Called on the transfer thread only.
protocol TransferSink: AnyObject {
    /// Once, before the first body byte (or at the end for a body-less response).
    func receiveHead(status: Int, headers: [String: String])
    /// A piece of the body; return false to abort the transfer (the sink remembers why).
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool
}

/// What one transfer needs to know.
struct TransferSettings {
    var url: String
    /// Complete `Name: value` lines.
    var headers: [String]
    var body: [UInt8]
    var connectTimeout: Double
    /// Longest silence (no byte received) tolerated.
    var readTimeout: Double
    /// Time left for the whole call, if limited.
    var overallTimeout: Double?
}

/// How a transfer ended, in terms the retry logic cares about.
enum TransferEnd {
    /// The whole response arrived.
    case completed
    /// The sink asked to stop (it knows whether that was success or an error).
    case abortedBySink
    case cancelled
    /// No byte for `readTimeout` seconds.
    case readStalled
    /// curl's own timeout: while connecting, or for the whole operation.
    case timedOut(connecting: Bool, detail: String)
    /// Refused, unreachable or unresolvable.
    case couldNotConnect(String)
    /// The connection broke or closed mid-way; `afterBytes` says whether anything had arrived.
    case connectionLost(String, afterBytes: Bool)
    /// Anything else (bad URL, TLS failure…).
    case failed(String)
}

/// Runs one POST with the multi interface, polling every 50 ms so that cancellation and the
/// read-stall limit take effect promptly (`curl_easy_perform` only wakes about once a second on
/// an idle connection). The xferinfo callback also aborts on cancel, per libcurl's contract.
final class CurlTransfer {
    private static let globalInit: CURLcode = ccurl_global_init()
    private static let pollMilliseconds: Int32 = 50

    private let settings: TransferSettings
    private let cancellation: CancellationFlag
    private let sink: any TransferSink
    private var headers: [String: String] = [:]
    private var headDelivered = false
    private var receivedBytes = false
    private var sinkAborted = false
    private var stalled = false
    private var lastByteNanos: UInt64
    private var easy: UnsafeMutableRawPointer?

    init(settings: TransferSettings, cancellation: CancellationFlag, sink: any TransferSink) {
        self.settings = settings
        self.cancellation = cancellation
        self.sink = sink
        self.lastByteNanos = DispatchTime.now().uptimeNanoseconds
    }

    /// Performs the transfer; blocks until it ends.
    func perform() -> TransferEnd {
        guard Self.globalInit == CURLE_OK, let easy = curl_easy_init() else {
            return .failed("libcurl could not be initialised")
        }
        self.easy = easy
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        for line in settings.headers { headerList = curl_slist_append(headerList, line) }
        defer {
            curl_easy_cleanup(easy)
            curl_slist_free_all(headerList)
            errorBuffer.deallocate()
            self.easy = nil
        }
        let configured = withExtendedLifetime(self) { configure(easy, headers: headerList, errorBuffer: errorBuffer) }
        guard configured else { return .failed("libcurl rejected an option") }
        let code = run(easy)
        if code == CURLE_OK, !headDelivered { deliverHead() }
        return end(for: code, detail: String(cString: errorBuffer))
    }

    private func configure(_ easy: UnsafeMutableRawPointer, headers: UnsafeMutablePointer<curl_slist>?,
                           errorBuffer: UnsafeMutablePointer<CChar>) -> Bool {
        let me = Unmanaged.passUnretained(self).toOpaque()
        var ok = true
        func check(_ code: CURLcode) { if code != CURLE_OK { ok = false } }
        check(ccurl_setopt_string(easy, CURLOPT_URL, settings.url))
        check(ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        check(ccurl_restrict_to_http(easy))
        check(ccurl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        check(ccurl_setopt_long(easy, CURLOPT_TCP_NODELAY, 1))
        check(ccurl_setopt_long(easy, CURLOPT_POST, 1))
        check(ccurl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(settings.body.count)))
        settings.body.withUnsafeBytes { bytes in
            // COPYPOSTFIELDS copies, so the buffer need not outlive this call.
            check(ccurl_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(errorBuffer))))
        }
        check(ccurl_setopt_pointer(easy, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers)))
        check(ccurl_setopt_string(easy, CURLOPT_USERAGENT, "LocalFusion-OpenAIClient/1"))
        check(ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(settings.connectTimeout)))
        if let overall = settings.overallTimeout {
            check(ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(overall)))
        }
        check(ccurl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        check(ccurl_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback))
        check(ccurl_setopt_pointer(easy, CURLOPT_WRITEDATA, me))
        check(ccurl_setopt_write_function(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        check(ccurl_setopt_pointer(easy, CURLOPT_HEADERDATA, me))
        check(ccurl_setopt_xferinfo_function(easy, curlProgressCallback))
        check(ccurl_setopt_pointer(easy, CURLOPT_XFERINFODATA, me))
        return ok
    }

    /// Drives the transfer until curl reports it done, or cancellation / a stall stops it.
    private func run(_ easy: UnsafeMutableRawPointer) -> CURLcode {
        guard let multi = curl_multi_init() else { return CURLE_OUT_OF_MEMORY }
        defer { curl_multi_cleanup(multi) }
        guard curl_multi_add_handle(multi, easy) == CURLM_OK else { return CURLE_FAILED_INIT }
        defer { curl_multi_remove_handle(multi, easy) }
        var running: Int32 = 1
        var result = CURLE_OK
        while true {
            if shouldAbort() { return CURLE_ABORTED_BY_CALLBACK }
            let code = withExtendedLifetime(self) { curl_multi_perform(multi, &running) }
            guard code == CURLM_OK else { return CURLE_FAILED_INIT }
            if ccurl_multi_next_done(multi, &result) != 0 { return result }
            if running == 0 { return result }
            _ = curl_multi_poll(multi, nil, 0, Self.pollMilliseconds, nil)
        }
    }

    /// Cancellation or read stall; called from the loop and from the progress callback.
    fileprivate func shouldAbort() -> Bool {
        if cancellation.isCancelled { return true }
        let silence = Double(DispatchTime.now().uptimeNanoseconds - lastByteNanos) / 1e9
        if silence > settings.readTimeout { stalled = true }
        return stalled
    }

    fileprivate func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        noteBytes()
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            headers = [:]    // a new response (after 100 Continue or a proxy's answer)
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }

    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        noteBytes()
        if !headDelivered { deliverHead() }
        if sink.receiveBody(bytes) { return true }
        sinkAborted = true
        return false
    }

    private func noteBytes() {
        receivedBytes = true
        lastByteNanos = DispatchTime.now().uptimeNanoseconds
    }

    private func deliverHead() {
        headDelivered = true
        var status = 0
        if let easy { _ = ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status) }
        sink.receiveHead(status: status, headers: headers)
    }

    private func end(for code: CURLcode, detail: String) -> TransferEnd {
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_OK: return .completed
        case CURLE_WRITE_ERROR where sinkAborted: return .abortedBySink
        case CURLE_ABORTED_BY_CALLBACK: return stalled && !cancellation.isCancelled ? .readStalled : .cancelled
        case CURLE_OPERATION_TIMEDOUT:
            var connectMicros: curl_off_t = 0
            if let easy { _ = ccurl_getinfo_off_t(easy, CURLINFO_CONNECT_TIME_T, &connectMicros) }
            return .timedOut(connecting: connectMicros == 0 && !receivedBytes, detail: message)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .couldNotConnect(message)
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            return .connectionLost(message, afterBytes: receivedBytes)
        default:
            return cancellation.isCancelled ? .cancelled : .failed(message)
        }
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        Int(max(1, min(seconds * 1000, Double(Int32.max))).rounded(.up))
    }
}

// C entry points: recover the transfer from the user-data pointer and forward.

private func curlWriteCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                               _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user else { return ccurl_write_abort() }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    let accepted = transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length))
    return accepted ? length : ccurl_write_abort()
}

private func curlHeaderCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                                _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user else { return ccurl_write_abort() }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length))
    return length
}

private func curlProgressCallback(_ user: UnsafeMutableRawPointer?, _ downloadTotal: curl_off_t, _ downloaded: curl_off_t,
                                  _ uploadTotal: curl_off_t, _ uploaded: curl_off_t) -> Int32 {
    guard let user else { return 1 }
    return Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue().shouldAbort() ? 1 : 0
}
