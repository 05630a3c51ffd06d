import Llama
import Testing

/// Template rendering needs no model: llama.cpp picks the family from the template text.
@Suite("Chat templates keep every message")
struct ChatTemplateRenderTests {
    let toolResult = "The fusion tool returned: 42"

    @Test("ChatML keeps a system message after the user turn where it stands")
    func chatMLKeepsLateSystem() throws {
        let text = try #require(ChatFormat.render(template: "<|im_start|>", messages: [
            .user("What is 17 + 25?"), .system(toolResult)]))
        #expect(text.contains("<|im_start|>user\nWhat is 17 + 25?<|im_end|>\n<|im_start|>system\n\(toolResult)<|im_end|>"))
        #expect(text.hasSuffix("<|im_start|>assistant\n"))
    }

    @Test("Gemma would drop a trailing system message; it is folded into the user turn instead")
    func foldsTrailingSystem() throws {
        let text = try #require(ChatFormat.render(template: "<start_of_turn>", messages: [
            .system("Be brief."), .user("What is 17 + 25?"), .system(toolResult)]))
        #expect(text.contains("Be brief.\n\nWhat is 17 + 25?\n\n\(toolResult)<end_of_turn>"), "\(text)")
        #expect(text.hasSuffix("<start_of_turn>model\n"))
    }

    @Test("a system message with a user turn after it stays where the template puts it")
    func leavesMidConversationSystem() throws {
        let text = try #require(ChatFormat.render(template: "<start_of_turn>", messages: [
            .user("Hi."), .assistant("Hello."), .system("Answer in French."), .user("Thanks.")]))
        #expect(text.contains("Answer in French.\n\nThanks."), "\(text)")
        #expect(!text.contains("Hi.\n\nAnswer in French."))
    }

    @Test("an unknown template family renders nothing, so the caller falls back to the plain format")
    func unknownFamily() {
        #expect(ChatFormat.render(template: "{{ nothing llama.cpp knows }}", messages: [.user("hi")]) == nil)
    }
}
