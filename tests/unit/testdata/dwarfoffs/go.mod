module example.com/dwarfoffs

go 1.19
