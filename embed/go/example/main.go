// Registers a user, signs in and validates the session: the README's example.
package main

import (
	"fmt"
	"log"

	sesame "sesame.dev/embed"
)

func main() {
	auth, err := sesame.New(sesame.Options{}) // component from $SESAME_EMBED_COMPONENT, memory store
	if err != nil {
		log.Fatal(err)
	}
	defer auth.Close()
	if err := auth.Register("ada@example.com", "analytical engine", ""); err != nil {
		log.Fatal(err)
	}
	session, err := auth.Login("ada@example.com", "analytical engine", sesame.ClientInfo{Address: "192.0.2.1"})
	if err != nil {
		log.Fatal(err)
	}
	info, err := auth.Validate(session.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in as", info.User.Email)
}
