package hook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"okta-acs-sms/function/okta"
	"okta-acs-sms/function/sms"
)

// Outcome names what happened to one hook call, as it appears in the log line.
type Outcome string

// The outcomes of a hook call.
const (
	OutcomeSent              Outcome = "sent"
	OutcomeFailedUnavailable Outcome = "failed_unavailable"
	OutcomeFailedDeadline    Outcome = "failed_deadline"
	OutcomeFailedRejected    Outcome = "failed_rejected"
	OutcomeFailedAuth        Outcome = "failed_provider_auth"
	OutcomeFailedInternal    Outcome = "failed_internal"
	OutcomeRefusedRequest    Outcome = "refused_request"
	OutcomeRefusedVoice      Outcome = "refused_voice"
	OutcomeRefusedPhone      Outcome = "refused_phone"
	OutcomeRefusedCode       Outcome = "refused_code"
)

// Answer is what the hook told Okta about one eventId, kept so that a repeat of the same
// event gets the same answer. It holds no code, no text and no full number.
type Answer struct {
	Response  okta.Response
	Outcome   Outcome
	MessageID string
	Attempts  int

	// Text says where the text came from (see composeText); empty when none was sent.
	Text string

	// Detail is the send error, if any, in words safe to log (sms.Error holds no personal
	// data).
	Detail string
}

// refusal is a request the hook will not serve. summary reaches end users.
type refusal struct {
	outcome  Outcome
	summary  string
	reason   string
	location string
}

var (
	// refuseRequest answers a request that names no delivery channel (an empty or broken
	// body): whatever it is, it is not a voice request, and end users must not read that
	// this provider sends texts only.
	refuseRequest = &refusal{
		outcome:  OutcomeRefusedRequest,
		summary:  "The verification code could not be sent.",
		reason:   "INVALID_REQUEST",
		location: "data.messageProfile.deliveryChannel",
	}
	refuseVoice = &refusal{
		outcome:  OutcomeRefusedVoice,
		summary:  "This provider sends text messages only.",
		reason:   "UNSUPPORTED_CHANNEL",
		location: "data.messageProfile.deliveryChannel",
	}
	refusePhone = &refusal{
		outcome:  OutcomeRefusedPhone,
		summary:  "The phone number must start with + and the country code.",
		reason:   "INVALID_PHONE_NUMBER",
		location: "data.messageProfile.phoneNumber",
	}
	// refuseEventID answers an eventId no Okta tenant sends (see usableEventID): it is
	// neither stored, nor sent to the provider as a tag, nor used to deduplicate.
	refuseEventID = &refusal{
		outcome:  OutcomeRefusedRequest,
		summary:  "The verification code could not be sent.",
		reason:   "INVALID_REQUEST",
		location: "eventId",
	}
	refuseCode = &refusal{
		outcome:  OutcomeRefusedCode,
		summary:  "The request carried no usable one-time code.",
		reason:   "MISSING_OTP_CODE",
		location: "data.messageProfile.otpCode",
	}
)

// result is everything decide needs: either a refusal, or what the sender said.
type result struct {
	refusal  *refusal
	receipt  sms.Receipt
	err      error
	provider string // the configured sender's name, for FAILED answers
	latency  time.Duration
}

// decide is the one place that chooses the answer Okta gets:
//
//   - a request we will not serve (no channel, voice, a number without +, no code) gets
//     Okta's error object, whose errorSummary is safe for end users;
//   - a text the provider accepted gets SUCCESSFUL with the provider's message id;
//   - a text the provider refused, or that could not be sent before the deadline, gets
//     FAILED.
//
// All three are HTTP 200. Both failure answers make Okta fall back to its own providers.
func decide(r result) Answer {
	ms := r.latency.Milliseconds()
	switch {
	case r.refusal != nil:
		return Answer{
			Outcome: r.refusal.outcome,
			Response: okta.ErrorResponse(r.refusal.summary, okta.ErrorCause{
				ErrorSummary: r.refusal.summary,
				Reason:       r.refusal.reason,
				LocationType: "body",
				Location:     r.refusal.location,
				Domain:       "external-service",
			}),
		}
	case r.err == nil:
		meta := fmt.Sprintf("attempts=%d;latencyMs=%d", r.receipt.Attempts, ms)
		return Answer{
			Outcome:   OutcomeSent,
			MessageID: r.receipt.MessageID,
			Attempts:  r.receipt.Attempts,
			Response:  okta.Successful(r.receipt.Provider, r.receipt.MessageID, meta),
		}
	}

	outcome := failureOutcome(r.err)
	meta := fmt.Sprintf("reason=%s;attempts=%d;latencyMs=%d",
		strings.TrimPrefix(string(outcome), "failed_"), sms.AttemptsOf(r.err), ms)
	if st := statusOf(r.err); st != 0 {
		meta += fmt.Sprintf(";status=%d", st)
	}
	return Answer{
		Outcome:  outcome,
		Attempts: sms.AttemptsOf(r.err),
		Response: okta.Failed(r.provider, meta),
		Detail:   r.err.Error(),
	}
}

// failureOutcome classifies a send error.
func failureOutcome(err error) Outcome {
	if errors.Is(err, errPanic) {
		return OutcomeFailedInternal
	}
	switch sms.KindOf(err) {
	case sms.KindRejected:
		return OutcomeFailedRejected
	case sms.KindAuth:
		return OutcomeFailedAuth
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return OutcomeFailedDeadline
	}
	return OutcomeFailedUnavailable
}

func statusOf(err error) int {
	var e *sms.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// errPanic marks the error that stands in for a panic in the sender or the hook.
var errPanic = errors.New("hook: internal error")

// Placeholder is the template variable replaced by the code when Okta sends an unrendered
// template.
const Placeholder = "${otpCode}"

// DefaultText is the text sent, with the code in place of %s, when Okta's template is
// empty or unusable.
const DefaultText = "Your verification code is %s"

// maxTextUnits is the longest message ACS accepts, in UTF-16 code units: ACS counts a
// string's length the .NET way, so a character outside the Basic Multilingual Plane (an
// emoji) counts twice.
const maxTextUnits = 2048

// The lengths of a one-time code the hook accepts (see usableCode).
const (
	minCodeLen = 4
	maxCodeLen = 10
)

// Text sources, as they appear in the log line's "text" field.
const (
	textTemplate      = "template"
	textSubstituted   = "substituted"
	textDefaultEmpty  = "default_empty"
	textDefaultNoCode = "default_no_code"
	textDefaultLong   = "default_too_long"
)

// composeText returns the text to send and where it came from. Okta normally sends the
// template already rendered with the code, and then it goes out as it is. A template still
// holding the placeholder gets the code substituted. A template that does not hold the
// code as a token of its own ("1" inside "123456" is not the code), nor the placeholder, is
// replaced by DefaultText: a text without its code is useless, or worse shows another code,
// while refusing would push the user to Okta's rate-limited fallback.
func composeText(template, code string) (string, string) {
	text, source := template, textTemplate
	switch {
	case strings.TrimSpace(template) == "":
		return fmt.Sprintf(DefaultText, code), textDefaultEmpty
	case strings.Contains(template, Placeholder):
		text, source = strings.ReplaceAll(template, Placeholder, code), textSubstituted
	case !containsToken(template, code):
		return fmt.Sprintf(DefaultText, code), textDefaultNoCode
	}
	if utf16Len(text) > maxTextUnits {
		return fmt.Sprintf(DefaultText, code), textDefaultLong
	}
	return text, source
}

// containsToken reports whether s holds tok with no letter or digit right before or after
// it.
func containsToken(s, tok string) bool {
	for i := 0; tok != ""; {
		j := strings.Index(s[i:], tok)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(tok)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		_, size := utf8.DecodeRuneInString(s[start:])
		i = start + size
	}
	return false
}

// isWordRune reports whether r is a letter or a digit; utf8.RuneError, what the decoders
// give at either end of the string, is neither.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// utf16Len is the length of s in UTF-16 code units, as ACS counts a message.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// usableCode reports whether code can be sent: 4 to 10 ASCII digits, nothing else. The hook
// never makes up a code of its own.
//
// Digits only, not letters too: Okta documents otpCode as a string of digits, its preview
// sends "11111", and public integrations see 6-digit codes and check for 4 to 10, so a
// letter means something went wrong upstream (a template placeholder such as "${otpCode}",
// a channel name in the wrong field). Refusing costs little: Okta then sends the code
// through its own providers, while a text with a wrong code costs the user a useless
// message. Other digits are refused too (fullwidth "１", Arabic-Indic "١", a byte order mark
// or a bidirectional override around the digits): a phone shows them, but the user cannot
// type them back into Okta's ASCII prompt.
func usableCode(code string) bool {
	if len(code) < minCodeLen || len(code) > maxCodeLen {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// MaxEventIDLen bounds an eventId. Okta's are 22 characters ("uS5871kJThSsU8qlA1LTcg"); the
// bound leaves room for a longer form while keeping the eventId store, the provider's tag
// and the log line small whatever a caller posts.
const MaxEventIDLen = 128

// usableEventID reports whether id can be Okta's eventId: at most MaxEventIDLen bytes of
// visible ASCII ("!" to "~"; no space, no control character). The empty eventId is usable:
// such a request is served without deduplication.
func usableEventID(id string) bool {
	if len(id) > MaxEventIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}
