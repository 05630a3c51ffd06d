import Foundation
import Llama

/// One model answering a conversation, leased through the engine's scheduler (the server's
/// single-model route and the outer model of the fusion tool).
///
/// ```swift
/// let chat = ChatRequest(model: "qwen2.5-coder-0.5b", messages: [.user("Hi")],
///                        parameters: .greedy(maxTokens: 64))
/// for try await event in engine.chat(chat).events { if case .text(let t) = event { print(t, terminator: "") } }
/// ```
public struct ChatRequest: Sendable, Equatable {
    /// Catalog id or `.gguf` path (the server only passes catalog ids).
    public var model: String
    public var messages: [ChatMessage]
    public var parameters: GenerationParameters
    /// Tokens the model's context holds.
    public var contextSize: Int

    public init(model: String, messages: [ChatMessage], parameters: GenerationParameters, contextSize: Int = 4096) {
        self.model = model
        self.messages = messages
        self.parameters = parameters
        self.contextSize = contextSize
    }
}

/// What a single-model chat reports while it runs. The last event is `.finished`.
public enum ChatEvent: Sendable, Equatable {
    /// The model is resident and the prompt is being evaluated.
    case started(loadSeconds: Double)
    case promptProcessed(tokens: Int, cached: Int)
    case text(String)
    case finished(GenerationSummary)
}

/// Why a single-model chat could not run. Thrown by the event stream before any text.
public enum ChatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Unknown id, file missing or not pulled (the catalog's message says which).
    case modelUnavailable(String)
    /// The model can never fit the memory budget.
    case insufficientMemory(String)
    /// The scheduler's wait queue is full.
    case busy(String)
    /// The prompt does not fit the context.
    case contextOverflow(promptTokens: Int, contextSize: Int)
    /// Bad sampling parameters (caught before anything loads).
    case invalidParameter(String)
    /// The model failed to load or decode.
    case modelFailed(String)

    public var description: String {
        switch self {
        case .modelUnavailable(let why), .insufficientMemory(let why), .busy(let why),
             .invalidParameter(let why), .modelFailed(let why):
            return why
        case let .contextOverflow(prompt, context):
            return "the prompt has \(prompt) tokens but the context holds \(context); shorten the conversation"
        }
    }
}

/// A running single-model chat; dropping the stream or `cancel()` stops it within a token.
public struct ChatRun: Sendable {
    public let events: AsyncThrowingStream<ChatEvent, Error>
    let task: Task<Void, Never>
    public func cancel() { task.cancel() }
}

extension FusionEngine {
    /// Streams one model's answer. The model is leased for the generation and released after it,
    /// also on cancellation; the session keeps the conversation's KV prefix for the next turn.
    public func chat(_ request: ChatRequest) -> ChatRun {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ChatEvent.self)
        let task = Task {
            do {
                try await self.runChat(request) { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { reason in
            if case .cancelled = reason { task.cancel() }
        }
        return ChatRun(events: stream, task: task)
    }

    /// Loads a model now and keeps it resident (pinned) so the first request does not wait.
    public func preload(_ model: String, contextSize: Int = 4096) async throws {
        let (key, estimate) = try chatKey(model: model, contextSize: contextSize)
        let lease = try await leaseMappingErrors(key, estimate: estimate, pin: true)
        await scheduler.release(lease)
    }

    private func chatKey(model: String, contextSize: Int) throws(ChatError) -> (ModelKey, Int64) {
        let path: String
        do { path = try store.resolve(model).path } catch {
            throw .modelUnavailable(String(describing: error))
        }
        let estimate: MemoryEstimate
        do { estimate = try MemoryEstimate.forModel(at: path, contextSize: contextSize) } catch {
            throw .modelFailed(String(describing: error))
        }
        return (ModelKey(path: path, contextSize: contextSize), Int64(clamping: estimate.totalBytes))
    }

    private func leaseMappingErrors(_ key: ModelKey, estimate: Int64, pin: Bool = false) async throws -> ModelLease<LlamaSession> {
        do {
            return try await scheduler.lease(key, estimateBytes: estimate, pin: pin)
        } catch let error as SchedulerError {
            if case .queueFull = error { throw ChatError.busy(error.description) }
            throw ChatError.insufficientMemory(error.description)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ChatError.modelFailed(String(describing: error))
        }
    }

    private func runChat(_ request: ChatRequest, emit: @Sendable (ChatEvent) -> Void) async throws {
        do { try request.parameters.validate() } catch { throw ChatError.invalidParameter(error.description) }
        let (key, estimate) = try chatKey(model: request.model, contextSize: request.contextSize)
        let loadStart = ContinuousClock.now
        let lease = try await leaseMappingErrors(key, estimate: estimate)
        emit(.started(loadSeconds: (ContinuousClock.now - loadStart).seconds))
        let generation = lease.resource.generate(.chat(request.messages), parameters: request.parameters, reusePrefix: true)
        do {
            try await withTaskCancellationHandler {
                for try await event in generation.events {
                    switch event {
                    case .promptProcessed(let tokens, let cached): emit(.promptProcessed(tokens: tokens, cached: cached))
                    case .text(let text): emit(.text(text))
                    case .finished(let summary): emit(.finished(summary))
                    }
                }
            } onCancel: {
                generation.cancel()
            }
        } catch let error as LlamaError {
            await scheduler.release(lease)
            if case let .contextOverflow(prompt, context) = error {
                throw ChatError.contextOverflow(promptTokens: prompt, contextSize: context)
            }
            throw ChatError.modelFailed(error.description)
        } catch {
            await scheduler.release(lease)
            throw error
        }
        await scheduler.release(lease)
    }
}

