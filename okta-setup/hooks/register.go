package hooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ActiveConflictError refuses a registration because another telephony hook is active:
// Okta allows one active telephony hook per org and skips a second one.
type ActiveConflictError struct {
	Active []Hook
}

// Error names the active hooks.
func (e *ActiveConflictError) Error() string {
	names := make([]string, 0, len(e.Active))
	for _, h := range e.Active {
		names = append(names, fmt.Sprintf("%q (%s)", h.Name, h.ID))
	}
	return "another telephony hook is active: " + strings.Join(names, ", ") +
		"; Okta allows only one active telephony hook per org"
}

// Plan is what Register will do, decided from the org's hooks before anything changes.
type Plan struct {
	// Existing is the hook of the same name, replaced in place; nil means create.
	Existing *Hook
	// Deactivate lists the other active telephony hooks, deactivated first.
	Deactivate []Hook
}

// PlanRegister decides how to register a hook called name among hooks: replace the
// same-named one or create it, and refuse if another hook is active unless force.
func PlanRegister(hooks []Hook, name string, force bool) (Plan, error) {
	var p Plan
	for i := range hooks {
		h := hooks[i]
		switch {
		case h.Name == name:
			p.Existing = &h
		case h.Active():
			p.Deactivate = append(p.Deactivate, h)
		}
	}
	if len(p.Deactivate) > 0 && !force {
		return Plan{}, &ActiveConflictError{Active: p.Deactivate}
	}
	return p, nil
}

// Registration is the outcome of Register.
type Registration struct {
	Hook        Hook
	Created     bool   // false: an existing hook was replaced
	Deactivated []Hook // other hooks deactivated because of force
}

// Register creates the hook s describes, or replaces the hook of the same name (always
// re-sending its secrets), and leaves it active. Another active telephony hook makes it
// refuse with *ActiveConflictError unless force, which deactivates that hook first. If a
// later step fails, hooks it deactivated are re-activated.
func (c *Client) Register(ctx context.Context, s Spec, force bool) (Registration, error) {
	if err := s.Validate(); err != nil {
		return Registration{}, err
	}
	hooks, err := c.List(ctx)
	if err != nil {
		return Registration{}, err
	}
	plan, err := PlanRegister(hooks, s.Name, force)
	if err != nil {
		return Registration{}, err
	}

	var reg Registration
	for _, h := range plan.Deactivate {
		if _, err := c.Deactivate(ctx, h.ID); err != nil {
			return reg, c.rollback(ctx, reg.Deactivated, err)
		}
		reg.Deactivated = append(reg.Deactivated, h)
	}

	if plan.Existing != nil {
		reg.Hook, err = c.Replace(ctx, plan.Existing.ID, s)
	} else {
		reg.Hook, err = c.Create(ctx, s)
		reg.Created = err == nil
	}
	if err == nil && !reg.Hook.Active() {
		reg.Hook, err = c.Activate(ctx, reg.Hook.ID)
	}
	if err != nil {
		return reg, c.rollback(ctx, reg.Deactivated, err)
	}
	return reg, nil
}

// rollback re-activates hooks deactivated before cause happened, so a failed --force run
// does not leave the org without an active telephony hook, and says what it did.
func (c *Client) rollback(ctx context.Context, deactivated []Hook, cause error) error {
	if len(deactivated) == 0 {
		return cause
	}
	var notes []string
	for _, h := range deactivated {
		if _, err := c.Activate(ctx, h.ID); err != nil {
			notes = append(notes, fmt.Sprintf("could NOT re-activate %q (%s): %v", h.Name,
				h.ID, err))
			continue
		}
		notes = append(notes, fmt.Sprintf("re-activated %q (%s)", h.Name, h.ID))
	}
	return fmt.Errorf("%w; %s", cause, strings.Join(notes, "; "))
}

// ErrNotFound means no telephony hook has the given name or id.
var ErrNotFound = errors.New("no such telephony hook")

// Find returns the telephony hook with id, or when id is empty the one called name.
func (c *Client) Find(ctx context.Context, id, name string) (Hook, error) {
	hooks, err := c.List(ctx)
	if err != nil {
		return Hook{}, err
	}
	for _, h := range hooks {
		if (id != "" && h.ID == id) || (id == "" && h.Name == name) {
			return h, nil
		}
	}
	if id != "" {
		return Hook{}, fmt.Errorf("find hook: id %s: %w", id, ErrNotFound)
	}
	return Hook{}, fmt.Errorf("find hook: name %q: %w", name, ErrNotFound)
}

// ErrActive refuses to delete an active hook.
var ErrActive = errors.New("hook is active")

// Remove deletes the hook, which must be inactive: deleting the active telephony hook
// would silently move every SMS to Okta's own rate-limited providers.
func (c *Client) Remove(ctx context.Context, h Hook) error {
	if h.Status != StatusInactive {
		return fmt.Errorf("remove hook %q (%s): %w (status %s); deactivate it first",
			h.Name, h.ID, ErrActive, h.Status)
	}
	return c.Delete(ctx, h.ID)
}
