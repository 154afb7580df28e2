package gatehousecli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"golang.org/x/term"
)

// streams are a command's standard input, output and error output. Prompts go to errOut so
// that out carries only the result (a hash can be piped into a file).
type streams struct {
	in     io.Reader
	out    io.Writer
	errOut io.Writer

	// readHidden, when set, reads one line from a terminal without echo. It is set by
	// newPassword when in is a terminal; tests set it to stand for one.
	readHidden func() (string, error)
}

// newPassword returns the password given by flag or, when flag is nil, asks for it: twice
// without echo on a terminal, else one line read from in.
func (s streams) newPassword(flag *string) (string, error) {
	var pw string
	var err error
	switch {
	case flag != nil:
		pw = *flag
	case s.hidden() != nil:
		pw, err = s.askTwice(s.hidden())
	default:
		pw, err = readLine(s.in)
	}
	if err != nil {
		return "", err
	}
	if pw == "" {
		return "", errors.New("the password is empty")
	}
	return pw, nil
}

// hidden returns the function that reads a password without echo, or nil when in is not a
// terminal.
func (s streams) hidden() func() (string, error) {
	if s.readHidden != nil {
		return s.readHidden
	}
	if f, ok := s.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return func() (string, error) { return readTerminal(int(f.Fd())) }
	}
	return nil
}

// askTwice prompts for the password and its confirmation.
func (s streams) askTwice(read func() (string, error)) (string, error) {
	fmt.Fprint(s.errOut, "Password: ")
	pw, err := read()
	fmt.Fprintln(s.errOut)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	fmt.Fprint(s.errOut, "Confirm password: ")
	again, err := read()
	fmt.Fprintln(s.errOut)
	if err != nil {
		return "", fmt.Errorf("reading the password confirmation: %w", err)
	}
	if pw != again {
		return "", errors.New("the passwords do not match")
	}
	return pw, nil
}

// readLine reads one line from r, without its line ending (\n or \r\n).
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	if trimmed, ok := strings.CutSuffix(line, "\n"); ok {
		line = strings.TrimSuffix(trimmed, "\r")
	}
	return line, nil
}

// readTerminal reads a line from the terminal fd without echo, restoring the terminal if
// the user presses Ctrl-C meanwhile.
func readTerminal(fd int) (string, error) {
	if state, err := term.GetState(fd); err == nil {
		interrupted := make(chan os.Signal, 1)
		signal.Notify(interrupted, os.Interrupt)
		done := make(chan struct{})
		defer func() {
			signal.Stop(interrupted)
			close(done)
		}()
		go func() {
			select {
			case <-interrupted:
				_ = term.Restore(fd, state)
				os.Exit(1)
			case <-done:
			}
		}()
	}
	b, err := term.ReadPassword(fd)
	return string(b), err
}
