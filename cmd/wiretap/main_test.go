package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the real main as the `wiretap` command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"wiretap": main,
	})
}

// TestScripts runs the CLI scripts in testdata/script: each drives the real
// binary and checks its output and exit status.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		// [root]: the script may capture live.
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			// Scripts must not inherit the developer's secrets.
			env.Setenv("SECRET_KEY", "")
			env.Setenv("SSLKEYLOGFILE", "")
			env.Setenv("HOME", env.WorkDir)
			captures, err := filepath.Abs("testdata/captures")
			if err != nil {
				return err
			}
			env.Setenv("CAPTURES", captures)
			if os.Geteuid() == 0 {
				env.Setenv("IS_ROOT", "1")
			}
			return nil
		},
	})
}
