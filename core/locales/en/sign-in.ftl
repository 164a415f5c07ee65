## sign-in
