package identity

import "context"

// Registration says who may create an account on their own. Invitations
// work in every mode.
type Registration string

// Registration modes.
const (
	// RegistrationClosed: accounts are made by administrators and through
	// invitation links only.
	RegistrationClosed Registration = "closed"
	// RegistrationOpen: anyone may sign up; the account is active once its
	// e-mail address is confirmed.
	RegistrationOpen Registration = "open"
	// RegistrationModerated: as open, then an administrator approves.
	RegistrationModerated Registration = "moderated"
)

// Valid reports whether r is one of the modes.
func (r Registration) Valid() bool {
	return r == RegistrationClosed || r == RegistrationOpen || r == RegistrationModerated
}

// SignUpOpen reports whether people may sign up without an invitation.
func (r Registration) SignUpOpen() bool { return r == RegistrationOpen || r == RegistrationModerated }

// Decision is a moderator's answer to a sign-up.
type Decision string

// Decisions on a sign-up.
const (
	Approve Decision = "approve"
	Refuse  Decision = "refuse"
)

// ParseDecision reads "approve" or "refuse".
func ParseDecision(s string) (Decision, error) {
	switch d := Decision(s); d {
	case Approve, Refuse:
		return d, nil
	}
	return "", &InvalidError{Field: "decision", Reason: "must be approve or refuse"}
}

// SignUpNotifier tells a person the decision on their sign-up, with the
// moderator's message (may be empty), in their language or else in lang.
type SignUpNotifier interface {
	SignUpDecided(ctx context.Context, a Account, d Decision, message, lang string) error
}

// Decided is what DecideSignUp did: the account as the decision left it
// and, when there is a notifier, whether telling the person failed (the
// decision stands either way).
type Decided struct {
	Account Account
	// Told is true when a notifier took the message.
	Told    bool
	MailErr error
}

// maxDecisionMessage bounds a moderator's word to the person.
const maxDecisionMessage = 2000

// DecideSignUp approves or refuses a sign-up and tells the person through
// n (nil: nobody is told). The administrators' page and `pelote signup`
// both call it.
func (s *Store) DecideSignUp(ctx context.Context, username string, d Decision, message, lang string, n SignUpNotifier) (Decided, error) {
	decide := s.ApproveSignUp
	switch d {
	case Approve:
	case Refuse:
		decide = s.RefuseSignUp
	default:
		_, err := ParseDecision(string(d))
		return Decided{}, err
	}
	message, err := CheckText("message", message, maxDecisionMessage, true)
	if err != nil {
		return Decided{}, err
	}
	a, err := decide(ctx, username)
	if err != nil || n == nil {
		return Decided{Account: a}, err
	}
	return Decided{Account: a, Told: true, MailErr: n.SignUpDecided(ctx, a, d, message, lang)}, nil
}
