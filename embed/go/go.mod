module sesame.dev/embed

go 1.19
