"""The front doors: the magics and the command line, thin glue over the layers below."""
