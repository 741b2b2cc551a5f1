package incident

import (
	_ "embed"
	"encoding/json"
)

// defaultPlaybook is the built-in checklist: data, like the playbook
// files, kept beside the code so that the domain works with none loaded.
//
//go:embed default_playbook.json
var defaultPlaybook []byte

// DefaultPlaybook is the built-in checklist used when no playbook is
// loaded. The playbooks package ships a richer "general" playbook that
// replaces it by name.
func DefaultPlaybook() Playbook {
	var p Playbook
	if err := json.Unmarshal(defaultPlaybook, &p); err != nil {
		panic(err) // the embedded file is checked by TestDefaultPlaybook
	}
	return p
}
