package slackfake

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits: each is a row of Reference, which cites Slack's page for it.
var (
	maxMessageBlocks   = lim("blocks_per_message")
	maxModalBlocks     = lim("blocks_per_modal")
	maxTextLen         = lim("text_length")
	maxHeaderLen       = lim("header_length")
	maxBlockIDLen      = lim("block_id_length")
	maxActionIDLen     = lim("action_id_length")
	maxButtonTextLen   = lim("button_text_length")
	maxButtonValueLen  = lim("button_value_length")
	maxActionsElements = lim("actions_elements")
	maxContextElements = lim("context_elements")
	maxSelectOptions   = lim("select_options")
	maxOptionTextLen   = lim("option_text_length")
	maxOptionValueLen  = lim("option_value_length")
	maxModalTitleLen   = lim("modal_title_length")
	maxModalSubmitLen  = lim("modal_submit_length")
	maxModalCloseLen   = lim("modal_close_length")
	maxPrivateMetadata = lim("private_metadata_length")
	maxSectionFields   = lim("section_fields")
	maxFieldTextLen    = lim("field_text_length")
	maxPlaceholderLen  = lim("placeholder_length")
	maxInputLabelLen   = lim("input_label_length")
	maxCallbackIDLen   = lim("callback_id_length")
	maxMessageText     = lim("message_text_length")
	textInputMax       = rule("text_input_max_length")
	textInputMin       = rule("text_input_min_length")
)

// msgBlocksMaxBytes is where chat.postMessage answers msg_blocks_too_long. Slack does not
// publish the number; this is a generous stand-in so the error path can be exercised.
const msgBlocksMaxBytes = 100_000

// blockViolation is the first limit a block list breaks.
type blockViolation struct {
	limit  string
	detail string
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

type blockChecker struct {
	v *blockViolation
}

func (bc *blockChecker) fail(limit, format string, args ...any) {
	if bc.v == nil {
		bc.v = &blockViolation{limit: limit, detail: fmt.Sprintf(format, args...)}
	}
}

func (bc *blockChecker) text(where string, v any, max int, limit string) {
	t := textOf(v)
	if runeLen(t) > max {
		bc.fail(limit, "%s: %d characters, more than %d", where, runeLen(t), max)
	}
}

// validateBlocks checks a message's or modal's blocks against Slack's limits.
func validateBlocks(raw json.RawMessage, maxBlocks int) *blockViolation {
	if len(raw) == 0 {
		return nil
	}
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return &blockViolation{limit: "json", detail: "blocks are not a JSON array of objects: " + err.Error()}
	}
	bc := &blockChecker{}
	if len(blocks) > maxBlocks {
		limit := "blocks_per_message"
		if maxBlocks == maxModalBlocks {
			limit = "blocks_per_modal"
		}
		bc.fail(limit, "%d blocks, more than %d", len(blocks), maxBlocks)
	}
	seen := map[string]bool{}
	for i, b := range blocks {
		where := fmt.Sprintf("blocks[%d]", i)
		typ, _ := b["type"].(string)
		if typ == "" {
			bc.fail("block_type", "%s: missing type", where)
		}
		bc.id(where, b, "block_id", maxBlockIDLen, seen, "")
		switch typ {
		case "section":
			bc.text(where+".text", b["text"], maxTextLen, "text_length")
			fields := asSlice(b["fields"])
			if len(fields) > maxSectionFields {
				bc.fail("section_fields", "%s: %d fields, more than %d", where, len(fields), maxSectionFields)
			}
			for j, f := range fields {
				bc.text(fmt.Sprintf("%s.fields[%d]", where, j), f, maxFieldTextLen, "field_text_length")
			}
			if a, ok := b["accessory"].(map[string]any); ok {
				bc.element(where+".accessory", a, map[string]bool{})
			}
		case "header":
			bc.text(where+".text", b["text"], maxHeaderLen, "header_length")
		case "actions":
			els := asSlice(b["elements"])
			if len(els) > maxActionsElements {
				bc.fail("actions_elements", "%s: %d elements, more than %d", where, len(els), maxActionsElements)
			}
			ids := map[string]bool{}
			for j, e := range els {
				if m, ok := e.(map[string]any); ok {
					bc.element(fmt.Sprintf("%s.elements[%d]", where, j), m, ids)
				}
			}
		case "context":
			els := asSlice(b["elements"])
			if len(els) > maxContextElements {
				bc.fail("context_elements", "%s: %d elements, more than %d", where, len(els), maxContextElements)
			}
			for j, e := range els {
				bc.text(fmt.Sprintf("%s.elements[%d]", where, j), e, maxTextLen, "text_length")
			}
		case "input":
			bc.text(where+".label", b["label"], maxInputLabelLen, "input_label_length")
			if e, ok := b["element"].(map[string]any); ok {
				bc.element(where+".element", e, map[string]bool{})
			} else {
				bc.fail("input_element", "%s: input without element", where)
			}
		}
	}
	return bc.v
}

// id checks the block_id or action_id key of obj, if it has one: at most max characters
// (rule key_length) and not among seen, the ids already used within its scope (rule
// key_unique).
func (bc *blockChecker) id(where string, obj map[string]any, key string, max int, seen map[string]bool, scope string) {
	id, ok := obj[key].(string)
	if !ok {
		return
	}
	if runeLen(id) > max {
		bc.fail(key+"_length", "%s: %s longer than %d", where, key, max)
	}
	if seen[id] {
		bc.fail(key+"_unique", "%s: duplicate %s %q%s", where, key, id, scope)
	}
	seen[id] = true
}

func (bc *blockChecker) element(where string, e map[string]any, ids map[string]bool) {
	bc.id(where, e, "action_id", maxActionIDLen, ids, " in block")
	if e["placeholder"] != nil {
		bc.text(where+".placeholder", e["placeholder"], maxPlaceholderLen, "placeholder_length")
	}
	switch e["type"] {
	case "plain_text_input":
		// Slack refuses the whole view when these are out of range.
		if v, ok := e["max_length"]; ok {
			if n, isNum := v.(float64); !isNum || int(n) < textInputMax.Min || int(n) > textInputMax.Max {
				bc.fail(textInputMax.ID, "%s.max_length: %v, must be %d-%d", where, v, textInputMax.Min, textInputMax.Max)
			}
		}
		if v, ok := e["min_length"]; ok {
			if n, isNum := v.(float64); !isNum || int(n) < textInputMin.Min || int(n) > textInputMin.Max {
				bc.fail(textInputMin.ID, "%s.min_length: %v, must be %d-%d", where, v, textInputMin.Min, textInputMin.Max)
			}
		}
	case "button":
		bc.text(where+".text", e["text"], maxButtonTextLen, "button_text_length")
		if v, _ := e["value"].(string); runeLen(v) > maxButtonValueLen {
			bc.fail("button_value_length", "%s.value: %d characters, more than %d", where, runeLen(v), maxButtonValueLen)
		}
	case "static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow":
		opts := asSlice(e["options"])
		for _, g := range asSlice(e["option_groups"]) {
			if gm, ok := g.(map[string]any); ok {
				opts = append(opts, asSlice(gm["options"])...)
			}
		}
		if len(opts) > maxSelectOptions {
			bc.fail("select_options", "%s: %d options, more than %d", where, len(opts), maxSelectOptions)
		}
		for j, o := range opts {
			om, _ := o.(map[string]any)
			bc.text(fmt.Sprintf("%s.options[%d].text", where, j), om["text"], maxOptionTextLen, "option_text_length")
			if v, _ := om["value"].(string); runeLen(v) > maxOptionValueLen {
				bc.fail("option_value_length", "%s.options[%d].value: more than %d characters", where, j, maxOptionValueLen)
			}
		}
	}
}

// validateModal checks a view object: its own limits, then its blocks.
func validateModal(v map[string]any) *blockViolation {
	bc := &blockChecker{}
	if v["type"] != "modal" && v["type"] != "home" {
		bc.fail("view_type", "view.type must be modal")
	}
	if v["type"] == "modal" && v["title"] == nil {
		bc.fail("modal_title_required", "view.title is required")
	}
	bc.text("view.title", v["title"], maxModalTitleLen, "modal_title_length")
	bc.text("view.submit", v["submit"], maxModalSubmitLen, "modal_submit_length")
	bc.text("view.close", v["close"], maxModalCloseLen, "modal_close_length")
	if pm, _ := v["private_metadata"].(string); runeLen(pm) > maxPrivateMetadata {
		bc.fail("private_metadata_length", "view.private_metadata: %d characters, more than %d", runeLen(pm), maxPrivateMetadata)
	}
	if cb, _ := v["callback_id"].(string); runeLen(cb) > maxCallbackIDLen {
		bc.fail("callback_id_length", "view.callback_id longer than %d", maxCallbackIDLen)
	}
	if bc.v != nil {
		return bc.v
	}
	raw := blocksOf(v)
	return validateBlocks(raw, maxModalBlocks)
}
