// Lets WebApplicationFactory<Program> in tests/unit reach the top-level Program.
public partial class Program;
