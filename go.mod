module github.com/hrsync/hrsync

go 1.26
